import { ArgsType, Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import { IntAtLeast, IntRange } from '../validation';
import { AnimeType } from '../anime/anime.type';

export const DEFAULT_K = 10;
export const MAX_K = 100;
/** Most values a genres or types filter may list (the catalog has ~45 genres and 6 types). */
export const MAX_FILTER_VALUES = 100;

@InputType('AnimeFilter', { description: 'Restricts results: all of `genres`, any of `types`, at least `minMembers`.' })
export class AnimeFilterInput {
  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  genres?: string[] | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  types?: string[] | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IntAtLeast(0)
  minMembers?: number | null;
}

@ArgsType()
export class SimilarArgs {
  @Field(() => Int)
  animeId!: number;

  @Field(() => Int, { defaultValue: DEFAULT_K })
  @IntRange(1, MAX_K)
  k!: number;

  @Field(() => AnimeFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AnimeFilterInput | null;

  @Field(() => Int, { nullable: true, description: 'A model version id; the active one when omitted.' })
  model?: number | null;
}

/** Recommendation options; `RecommendArgs` adds the user, `User.recommendations` is the user's own. */
@ArgsType()
export class UserRecommendArgs {
  @Field(() => Int, { defaultValue: DEFAULT_K })
  @IntRange(1, MAX_K)
  k!: number;

  @Field(() => Boolean, { defaultValue: true, description: 'Leave out anime the user rated or watched.' })
  excludeSeen!: boolean;

  @Field(() => AnimeFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AnimeFilterInput | null;

  @Field(() => Int, { nullable: true })
  model?: number | null;
}

@ArgsType()
export class RecommendArgs extends UserRecommendArgs {
  @Field(() => Int)
  userId!: number;
}

@ArgsType()
export class PredictArgs {
  @Field(() => Int)
  userId!: number;

  @Field(() => Int)
  animeId!: number;

  @Field(() => Int, { nullable: true })
  model?: number | null;
}

export const MAX_PAIRS = 1000;

@InputType('UserAnimePair')
export class UserAnimePairInput {
  @Field(() => Int)
  userId!: number;

  @Field(() => Int)
  animeId!: number;
}

@ArgsType()
export class PredictManyArgs {
  @Field(() => [UserAnimePairInput])
  @ArrayMaxSize(MAX_PAIRS)
  pairs!: UserAnimePairInput[];

  @Field(() => Int, { nullable: true })
  model?: number | null;
}

@ObjectType('SimilarAnime')
export class SimilarAnimeType {
  @Field(() => AnimeType)
  anime!: AnimeType;

  @Field(() => Float, { description: 'Cosine similarity of the item embeddings, -1..1.' })
  similarity!: number;
}

@ObjectType('Because', { description: "The user's rated anime most similar to a recommendation." })
export class BecauseType {
  @Field(() => AnimeType)
  anime!: AnimeType;

  @Field(() => Int)
  rating!: number;

  @Field(() => Float)
  similarity!: number;

  @Field(() => String, { description: 'e.g. "because you rated Steins;Gate 10"' })
  text!: string;
}

@ObjectType('Recommendation')
export class RecommendationType {
  @Field(() => AnimeType)
  anime!: AnimeType;

  @Field(() => Float)
  predictedRating!: number;

  @Field(() => BecauseType, { nullable: true })
  because!: BecauseType | null;
}
