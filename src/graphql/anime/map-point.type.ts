import { Field, Float, ObjectType } from 'type-graphql';
import { AnimeType } from './anime.type';

@ObjectType('MapPoint')
export class MapPointType {
  @Field(() => AnimeType)
  anime!: AnimeType;

  @Field(() => Float)
  x!: number;

  @Field(() => Float)
  y!: number;
}
