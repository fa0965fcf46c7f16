import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { MODEL_KINDS } from '../../models/kinds';

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

@ObjectType('PredictionSample', { description: 'Held-out test ratings beside the model\'s predictions for them (a seeded sample).' })
export class PredictionSampleType {
  @Field(() => [Float], { description: 'The true ratings, 1-10.' })
  actual!: number[];

  @Field(() => [Float], { description: 'The predicted ratings, same order.' })
  predicted!: number[];
}

@ObjectType('ModelVersion', { description: 'A trained model: what it is, how well it does, how it learned.' })
export class ModelVersionType {
  @Field(() => Int)
  id!: number;

  @Field(() => String, { description: `One of ${MODEL_KINDS.join(', ')}.` })
  kind!: string;

  @Field(() => Int)
  embeddingDim!: number;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => GraphQLJSONObject)
  hyperparameters!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'Test and train errors, ranking quality, baselines.' })
  metrics!: Record<string, unknown>;

  @Field(() => PredictionSampleType, { nullable: true, description: 'Up to 1,000 held-out (true, predicted) pairs; null for versions trained before they were kept.' })
  predictionSample!: PredictionSampleType | null;

  @Field(() => [EpochRecordType], { description: 'Training and validation loss per epoch.' })
  history!: EpochRecordType[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  activatedAt!: Date | null;
}
