import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, ObjectType } from 'type-graphql';
import { AnimeTypeEnum, type AnimeTypeValue } from './anime-type.enum';
import { AnimeType } from './anime.type';
import { MAX_FILTER_VALUES } from '../recommend/recommend.types';
import { Connection, ConnectionArgs } from '../connection';

@ArgsType()
export class AnimesArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the name.' })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;

  @Field(() => [String], { nullable: true, description: 'Anime having all of these genres.' })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  genres?: string[] | null;

  @Field(() => [AnimeTypeEnum], { nullable: true, description: 'Anime of any of these types.' })
  @IsOptional()
  @ArrayMaxSize(MAX_FILTER_VALUES)
  types?: AnimeTypeValue[] | null;
}

@ObjectType('AnimeConnection', { description: 'Anime by popularity (members, most first), a page at a time.' })
export class AnimeConnection extends Connection(AnimeType, 'Anime', 'anime') {}
