import { IsInt, Max, Min, MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { AnimeType } from '../anime/anime.type';

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

  @Field(() => String, { description: '"ingest" (dataset users) or "api".' })
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
}

@ArgsType()
export class RatingsPageArgs {
  @Field(() => Int, { defaultValue: 20 })
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
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
  @IsInt()
  @Min(1)
  @Max(10)
  rating!: number;
}
