/**
 * The tensor backends animerec knows, without loading tfjs (src/config.ts validates
 * `TFJS_BACKEND` against these). In auto order: GPU first, then the CPU path.
 */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Backends whose results Node can only read asynchronously (WebGPU has no synchronous reads there). */
const ASYNC_READ_BACKENDS: readonly BackendName[] = ['webgpu'];

export function readsAsynchronously(backend: BackendName): boolean {
  return ASYNC_READ_BACKENDS.includes(backend);
}

/** Backends on the GPU: a test comparing them with the CPU path runs only where one is found. */
export const GPU_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'webgpu'];
