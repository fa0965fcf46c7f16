import { Field, ObjectType } from 'type-graphql';

@ObjectType('ServerInfo', { description: 'Where the model heads run: the tensor backend chosen at start-up (TFJS_BACKEND overrides).' })
export class ServerInfoType {
  @Field({ description: 'Backend of batched head scoring (recommendations, predictions): tensorflow-gpu, webgpu, tensorflow, wasm or cpu.' })
  backend!: string;

  @Field({ description: 'The device doing that work: GPU model (and driver) or CPU model.' })
  device!: string;

  @Field({ description: 'tfjs backend of the synchronous paths (training steps, fold-in): backend, except under webgpu.' })
  tensorBackend!: string;

  @Field({ description: 'Whether backend runs on a hardware GPU (a software WebGPU adapter is not one).' })
  gpu!: boolean;

  @Field({ description: 'Why this backend: found first, requested, or why faster ones were passed over.' })
  reason!: string;

  @Field({ description: 'The Node.js version of the server.' })
  nodeVersion!: string;
}
