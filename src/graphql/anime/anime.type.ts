import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType('Anime', { description: 'A title of the catalog (MyAnimeList anime_id as id).' })
export class AnimeType {
  @Field(() => Int, { description: 'The MyAnimeList anime_id.' })
  id!: number;

  @Field(() => String, { description: 'The title, as in the source data.' })
  name!: string;

  @Field(() => [String], { description: 'Genres, as the catalog names them (query genres lists them all).' })
  genres!: string[];

  @Field(() => String, { nullable: true, description: 'TV, Movie, OVA, Special, ONA, Music.' })
  type!: string | null;

  @Field(() => Int, { nullable: true, description: 'null while unknown (still airing).' })
  episodes!: number | null;

  @Field(() => Float, { nullable: true, description: "The MyAnimeList community's mean score, 0-10." })
  communityRating!: number | null;

  @Field(() => Int, { description: 'Community size on MyAnimeList (a popularity measure).' })
  members!: number;
}
