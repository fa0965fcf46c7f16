/**
 * What the user mutations answer: a payload type per mutation carrying what changed (GitHub's
 * and Shopify's convention), so a mutation can answer more later without breaking clients.
 */
import { Field, Int, ObjectType } from 'type-graphql';
import { RatingType, UserType } from './user.types';

@ObjectType('CreateUserPayload', { description: 'A new user with their API token.' })
export class CreateUserPayload {
  @Field(() => UserType, { description: 'The new user.' })
  user!: UserType;

  @Field(() => String, { description: 'The API token: shown once, only its hash is kept. Send it as "Authorization: Bearer <token>".' })
  token!: string;

  @Field(() => Date, { description: 'When the token stops being accepted (TOKEN_TTL_DAYS after issue); rotateToken before then.' })
  tokenExpiresAt!: Date;
}

@ObjectType('RotateTokenPayload', { description: 'A new API token for the signed-in user; the previous one no longer works.' })
export class RotateTokenPayload {
  @Field(() => String, { description: 'The API token: shown once, only its hash is kept.' })
  token!: string;

  @Field(() => Date, { description: 'When the token stops being accepted.' })
  expiresAt!: Date;
}

@ObjectType('RevokeTokenPayload', { description: 'Whose token revokeToken removed.' })
export class RevokeTokenPayload {
  @Field(() => Int, { description: 'The user whose token it was.' })
  userId!: number;

  @Field(() => Boolean, { description: 'False when the user had no token.' })
  revoked!: boolean;
}

@ObjectType('DeleteMePayload', { description: 'What deleteMe removed, in one transaction, beside the user and their token.' })
export class DeleteMePayload {
  @Field(() => Int, { description: 'The id of the deleted user.' })
  deletedUserId!: number;

  @Field(() => Int, { description: 'Ratings removed.' })
  ratings!: number;

  @Field(() => Int, { description: 'Watched-but-not-rated rows removed.' })
  watched!: number;

  @Field(() => Int, { description: 'User embeddings removed (one per model version).' })
  embeddings!: number;
}

@ObjectType('RateAnimePayload', { description: 'The rating rateAnime stored.' })
export class RateAnimePayload {
  @Field(() => RatingType, { description: 'The rating as stored (recommendations follow it at once).' })
  rating!: RatingType;
}

@ObjectType('DeleteRatingPayload', { description: 'Which rating deleteRating removed.' })
export class DeleteRatingPayload {
  @Field(() => Int, { description: 'The anime whose rating was removed.' })
  animeId!: number;

  @Field(() => Boolean, { description: 'False when the signed-in user had not rated it.' })
  deleted!: boolean;
}
