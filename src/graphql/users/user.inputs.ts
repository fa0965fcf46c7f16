import { IsOptional, MaxLength, MinLength } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { MAX_RATING, MIN_RATING } from '../../models/rating-scale';
import { IntRange } from '../validation';

@InputType('CreateUserInput', { description: 'Input of createUser.' })
export class CreateUserInput {
  @Field(() => String, { description: 'A display name, 1-100 characters.' })
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

@InputType('RateAnimeInput', { description: 'Input of rateAnime.' })
export class RateAnimeInput {
  @Field(() => Int, { description: 'The anime to rate.' })
  animeId!: number;

  @Field(() => Int, { description: `The rating, an integer from ${MIN_RATING} to ${MAX_RATING}.` })
  @IntRange(MIN_RATING, MAX_RATING)
  rating!: number;
}

@InputType('DeleteRatingInput', { description: 'Input of deleteRating.' })
export class DeleteRatingInput {
  @Field(() => Int, { description: 'The anime whose rating to remove.' })
  animeId!: number;
}

@InputType('RevokeTokenInput', { description: 'Input of revokeToken.' })
export class RevokeTokenInput {
  @Field(() => Int, { nullable: true, description: 'Whose token; the signed-in user when omitted (admin only for another user).' })
  @IsOptional()
  userId?: number | null;
}
