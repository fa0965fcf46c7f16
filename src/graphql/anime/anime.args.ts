import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { AnimeType } from './anime.type';
import { MAX_FILTER_VALUES } from '../recommend/recommend.types';
import { IntRange } from '../validation';

export const MAX_ANIME_PAGE = 100;

@ArgsType()
export class AnimesArgs {
  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the name.' })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;

  @Field(() => [String], { nullable: true, description: 'Anime having all of these genres.' })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  genres?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Anime of any of these types.' })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  types?: string[] | null;

  @Field(() => Int, { description: 'How many anime per page, 1-100.', defaultValue: 20 })
  @IntRange(1, MAX_ANIME_PAGE)
  first!: number;

  @Field(() => String, { description: 'The nextCursor of the previous page; omit for the first page.', nullable: true })
  after?: string | null;
}

@ObjectType('AnimePage', { description: 'Anime by popularity (members), a page at a time.' })
export class AnimePageType {
  @Field(() => [AnimeType], { description: 'This page of anime, most members first.' })
  items!: AnimeType[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last.' })
  nextCursor!: string | null;
}
