import { ArgsType, Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import { IntAtLeast, IntRange } from '../validation';
import { AnimeTypeEnum, type AnimeTypeValue } from '../anime/anime-type.enum';
import { AnimeType } from '../anime/anime.type';

export const DEFAULT_K = 10;
export const MAX_K = 100;
/** Most values a genres or types filter may list (the catalog has ~45 genres; types is an enum of 6). */
export const MAX_FILTER_VALUES = 100;

@InputType('AnimeFilter', { description: 'Restricts results: all of `genres`, any of `types`, at least `minMembers`.' })
export class AnimeFilterInput {
  @Field(() => [String], { description: 'Anime must have all of these genres (query genres lists them).', nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  genres?: string[] | null;

  @Field(() => [AnimeTypeEnum], { description: 'Anime must be of one of these types.', nullable: true })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  types?: AnimeTypeValue[] | null;

  @Field(() => Int, { description: 'Anime must have at least this many community members (0 or more).', nullable: true })
  @IsOptional()
  @IntAtLeast(0)
  minMembers?: number | null;
}

@ArgsType()
export class SimilarArgs {
  @Field(() => Int, { description: 'The anime.' })
  animeId!: number;

  @Field(() => Int, { defaultValue: DEFAULT_K, description: 'How many results, 1-100.' })
  @IntRange(1, MAX_K)
  k!: number;

  @Field(() => AnimeFilterInput, { nullable: true, description: 'Only anime that pass this filter.' })
  @IsOptional()
  @ValidateNested()
  filter?: AnimeFilterInput | null;

  @Field(() => Int, { nullable: true, description: 'A model version id; the active one when omitted.' })
  model?: number | null;
}

/** Recommendation options; `RecommendArgs` adds the user, `User.recommendations` is the user's own. */
@ArgsType()
export class UserRecommendArgs {
  @Field(() => Int, { defaultValue: DEFAULT_K, description: 'How many results, 1-100.' })
  @IntRange(1, MAX_K)
  k!: number;

  @Field(() => Boolean, { defaultValue: true, description: 'Leave out anime the user rated or watched.' })
  excludeSeen!: boolean;

  @Field(() => AnimeFilterInput, { nullable: true, description: 'Only anime that pass this filter.' })
  @IsOptional()
  @ValidateNested()
  filter?: AnimeFilterInput | null;

  @Field(() => Int, { nullable: true, description: 'A model version id; the active one when omitted.' })
  model?: number | null;
}

@ArgsType()
export class RecommendArgs extends UserRecommendArgs {
  @Field(() => Int, { description: 'The user (an API user: readable only with their token or the admin token).' })
  userId!: number;
}

@ArgsType()
export class PredictArgs {
  @Field(() => Int, { description: 'The user (an API user: readable only with their token or the admin token).' })
  userId!: number;

  @Field(() => Int, { description: 'The anime.' })
  animeId!: number;

  @Field(() => Int, { nullable: true, description: 'A model version id; the active one when omitted.' })
  model?: number | null;
}

export const MAX_PAIRS = 1000;

@InputType('UserAnimePair', { description: 'A (user, anime) pair to predict.' })
export class UserAnimePairInput {
  @Field(() => Int, { description: 'The user (an API user: readable only with their token or the admin token).' })
  userId!: number;

  @Field(() => Int, { description: 'The anime.' })
  animeId!: number;
}

@ArgsType()
export class PredictManyArgs {
  @Field(() => [UserAnimePairInput], { description: 'The (user, anime) pairs, at most 1,000.' })
  @ArrayMaxSize(MAX_PAIRS)
  pairs!: UserAnimePairInput[];

  @Field(() => Int, { nullable: true, description: 'A model version id; the active one when omitted.' })
  model?: number | null;
}

@ObjectType('SimilarAnime', { description: 'An anime near another one in embedding space.' })
export class SimilarAnimeType {
  @Field(() => AnimeType, { description: 'The anime.' })
  anime!: AnimeType;

  @Field(() => Float, { description: 'Cosine similarity of the item embeddings, -1..1.' })
  similarity!: number;
}

@ObjectType('Because', { description: "The user's rated anime most similar to a recommendation." })
export class BecauseType {
  @Field(() => AnimeType, { description: 'The anime.' })
  anime!: AnimeType;

  @Field(() => Int, { description: 'The rating the user gave it, 1-10.' })
  rating!: number;

  @Field(() => Float, { description: 'Cosine similarity of its embedding to the recommended anime, -1..1.' })
  similarity!: number;

  @Field(() => String, { description: 'e.g. "because you rated Steins;Gate 10"' })
  text!: string;
}

@ObjectType('Recommendation', { description: 'A recommended anime with its predicted rating and the reason.' })
export class RecommendationType {
  @Field(() => AnimeType, { description: 'The anime.' })
  anime!: AnimeType;

  @Field(() => Float, { description: "The model's predicted rating, about 1-10." })
  predictedRating!: number;

  @Field(() => Boolean, { description: 'False when the model cannot place the user yet (no ratings): the list is popular titles, not personal.' })
  personal!: boolean;

  @Field(() => BecauseType, { description: "The user's rated anime most similar to this one; null when the user rated none the model knows.", nullable: true })
  because!: BecauseType | null;
}
