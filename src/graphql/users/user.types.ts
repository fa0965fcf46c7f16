import { MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { MAX_RATING, MIN_RATING } from '../../models/rating-scale';
import { AnimeType } from '../anime/anime.type';
import { Connection } from '../connection';
import { IntRange } from '../validation';

@ObjectType('Rating', { description: "A user's explicit rating of an anime." })
export class RatingType {
  @Field(() => Int, { description: 'The user who rated.' })
  userId!: number;

  @Field(() => Int, { description: 'The anime rated.' })
  animeId!: number;

  @Field(() => AnimeType, { description: 'The anime rated.' })
  anime?: AnimeType;

  @Field(() => Int, { description: 'The rating, 1-10.' })
  rating!: number;

  @Field(() => Date, { description: 'When it was last set.' })
  updatedAt!: Date;
}

@ObjectType('RatingConnection', { description: "A user's ratings, newest first, a page at a time." })
export class RatingConnection extends Connection(RatingType, 'Rating', 'ratings') {}

@ObjectType('User', { description: 'A person who rates: a dataset user (public sample) or an API user (private).' })
export class UserType {
  @Field(() => Int, { description: 'The user id (sequential; dataset users keep their dataset id).' })
  id!: number;

  @Field(() => String, { description: 'The name given at creation (private for API users).', nullable: true })
  name!: string | null;

  @Field(() => String, { description: '"ingest" (dataset users: the public sample, readable by anyone) or "api" (private: readable by the user and the admin).' })
  source!: string;

  @Field(() => Date, { description: 'When the user was created.' })
  createdAt!: Date;
}

@ObjectType('CreatedUser', { description: 'A new user with their API token.' })
export class CreatedUserType {
  @Field(() => UserType, { description: 'The new user.' })
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
export class CreateUserArgs {
  @Field(() => String, { description: 'A display name, 1-100 characters.' })
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

@ArgsType()
export class RateArgs {
  @Field(() => Int, { description: 'The anime to rate.' })
  animeId!: number;

  @Field(() => Int, { description: 'The rating, an integer from 1 to 10.' })
  @IntRange(MIN_RATING, MAX_RATING)
  rating!: number;
}
