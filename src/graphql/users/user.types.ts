import { Field, Int, ObjectType } from 'type-graphql';
import { AnimeType } from '../anime/anime.type';
import { Connection } from '../connection';

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
