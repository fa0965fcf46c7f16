import { Field, Float, Int, ObjectType } from 'type-graphql';
import { AnimeTypeEnum } from './anime-type.enum';

@ObjectType('Anime', { description: 'A title of the catalog (MyAnimeList anime_id as id).' })
export class AnimeType {
  @Field(() => Int, { description: 'The MyAnimeList anime_id.' })
  id!: number;

  @Field(() => String, { description: 'The title, as in the source data.' })
  name!: string;

  @Field(() => [String], { description: 'Genres, as the catalog names them (query genres lists them all).' })
  genres!: string[];

  @Field(() => AnimeTypeEnum, { nullable: true, description: 'The format; null when the source data gives none or one the enum lacks.' })
  type!: string | null;

  @Field(() => Int, { nullable: true, description: 'null while unknown (still airing).' })
  episodes!: number | null;

  @Field(() => Float, { nullable: true, description: "The MyAnimeList community's mean score, 0-10." })
  communityRating!: number | null;

  @Field(() => Int, { description: 'Community size on MyAnimeList (a popularity measure).' })
  members!: number;
}
