import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Connection } from '../connection';
import { ModelKindEnum } from '../training/training-enums';

@ObjectType('EpochRecord', { description: 'The losses after one training epoch.' })
export class EpochRecordType {
  @Field(() => Int, { description: 'Epoch number, from 1.' })
  epoch!: number;

  @Field(() => Float, { description: 'Mean training loss of the epoch.' })
  loss!: number;

  @Field(() => Float, { description: 'Validation loss after the epoch; null without a validation split.', nullable: true })
  valLoss!: number | null;

  @Field(() => Float, { description: 'Wall time of the epoch, seconds.' })
  seconds!: number;
}

@ObjectType('PredictionSample', { description: 'Held-out test ratings beside the model\'s predictions for them (a seeded sample).' })
export class PredictionSampleType {
  @Field(() => [Float], { description: 'The true ratings, 1-10.' })
  actual!: number[];

  @Field(() => [Float], { description: 'The predicted ratings, same order.' })
  predicted!: number[];
}

@ObjectType('ModelVersion', { description: 'A trained model: what it is, how well it does, how it learned.' })
export class ModelVersionType {
  @Field(() => Int, { description: 'The model version id (the `model` argument elsewhere).' })
  id!: number;

  @Field(() => ModelKindEnum, { description: 'What kind of model it is.' })
  kind!: string;

  @Field(() => Int, { description: 'Length of the user and item embeddings.' })
  embeddingDim!: number;

  @Field(() => Boolean, { description: 'Whether the API serves this version now.' })
  isActive!: boolean;

  @Field(() => GraphQLJSONObject, { description: 'The hyperparameters it was trained with.' })
  hyperparameters!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'Test and train errors, ranking quality, baselines.' })
  metrics!: Record<string, unknown>;

  @Field(() => PredictionSampleType, { nullable: true, description: 'Up to 1,000 held-out (true, predicted) pairs; null for versions trained before they were kept.' })
  predictionSample!: PredictionSampleType | null;

  @Field(() => [EpochRecordType], { description: 'Training and validation loss per epoch.' })
  history!: EpochRecordType[];

  @Field(() => Date, { description: 'When training started.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it was last made active; null if never.', nullable: true })
  activatedAt!: Date | null;
}

@ObjectType('ModelVersionConnection', { description: 'Model versions, newest first, a page at a time.' })
export class ModelVersionConnection extends Connection(ModelVersionType, 'ModelVersion', 'model versions') {}
