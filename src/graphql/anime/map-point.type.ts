import { Field, Float, ObjectType } from 'type-graphql';
import { AnimeType } from './anime.type';

@ObjectType('MapPoint', { description: 'An anime on the 2-D map of a model version (UMAP or t-SNE of its item embeddings).' })
export class MapPointType {
  @Field(() => AnimeType, { description: 'The anime at this point.' })
  anime!: AnimeType;

  @Field(() => Float, { description: 'Horizontal coordinate (arbitrary units of the projection).' })
  x!: number;

  @Field(() => Float, { description: 'Vertical coordinate (arbitrary units of the projection).' })
  y!: number;
}
