import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType('EpochRecord')
export class EpochRecordType {
  @Field(() => Int)
  epoch!: number;

  @Field(() => Float)
  loss!: number;

  @Field(() => Float, { nullable: true })
  valLoss!: number | null;

  @Field(() => Float)
  seconds!: number;
}

@ObjectType('ModelVersion', { description: 'A trained model: what it is, how well it does, how it learned.' })
export class ModelVersionType {
  @Field(() => Int)
  id!: number;

  @Field(() => String, { description: 'mf, deep, hybrid or hybrid-classifier.' })
  kind!: string;

  @Field(() => Int)
  embeddingDim!: number;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => GraphQLJSONObject)
  hyperparameters!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'Test and train errors, ranking quality, baselines.' })
  metrics!: Record<string, unknown>;

  @Field(() => [EpochRecordType], { description: 'Training and validation loss per epoch.' })
  history!: EpochRecordType[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  activatedAt!: Date | null;
}
