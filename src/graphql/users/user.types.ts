import { MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { MAX_RATING, MIN_RATING } from '../../models/rating-scale';
import { AnimeType } from '../anime/anime.type';
import { IntRange } from '../validation';

export const MAX_PAGE = 100;

@ObjectType('Rating')
export class RatingType {
  @Field(() => Int)
  userId!: number;

  @Field(() => Int)
  animeId!: number;

  @Field(() => AnimeType)
  anime?: AnimeType;

  @Field(() => Int)
  rating!: number;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType('RatingPage')
export class RatingPageType {
  @Field(() => [RatingType])
  items!: RatingType[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last.' })
  nextCursor!: string | null;
}

@ObjectType('User')
export class UserType {
  @Field(() => Int)
  id!: number;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { description: '"ingest" (dataset users: the public sample, readable by anyone) or "api" (private: readable by the user and the admin).' })
  source!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('CreatedUser')
export class CreatedUserType {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => String, { description: 'The API token: shown once, only its hash is kept. Send it as "Authorization: Bearer <token>".' })
  token!: string;

  @Field(() => Date, { description: 'When the token stops being accepted (TOKEN_TTL_DAYS after issue); rotateToken before then.' })
  tokenExpiresAt!: Date;
}

@ObjectType('IssuedToken', { description: 'A new API token for the signed-in user; the previous one no longer works.' })
export class IssuedTokenType {
  @Field(() => String, { description: 'The API token: shown once, only its hash is kept.' })
  token!: string;

  @Field(() => Date, { description: 'When the token stops being accepted.' })
  expiresAt!: Date;
}

@ObjectType('DeletedUser', { description: 'What deleteMe removed, in one transaction, beside the user and their token.' })
export class DeletedUserType {
  @Field(() => Int, { description: 'Ratings removed.' })
  ratings!: number;

  @Field(() => Int, { description: 'Watched-but-not-rated rows removed.' })
  watched!: number;

  @Field(() => Int, { description: 'User embeddings removed (one per model version).' })
  embeddings!: number;
}

@ArgsType()
export class RatingsPageArgs {
  @Field(() => Int, { defaultValue: 20 })
  @IntRange(1, MAX_PAGE)
  first!: number;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ArgsType()
export class CreateUserArgs {
  @Field(() => String)
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

@ArgsType()
export class RateArgs {
  @Field(() => Int)
  animeId!: number;

  @Field(() => Int, { description: 'An integer from 1 to 10.' })
  @IntRange(MIN_RATING, MAX_RATING)
  rating!: number;
}
