import { Field, Float, Int, ObjectType } from 'type-graphql';
import { AnimeType } from '../anime/anime.type';

@ObjectType('RatingCount', { description: 'How many explicit ratings have this score.' })
export class RatingCountType {
  @Field(() => Int, { description: '1-10.' })
  rating!: number;

  @Field(() => Int, { description: 'Explicit ratings with this score.' })
  count!: number;
}

@ObjectType('RatingsPerAnimeBin', { description: 'How many anime have between min and max explicit ratings.' })
export class RatingsPerAnimeBinType {
  @Field(() => Int, { description: 'Fewest ratings in the bin (inclusive).' })
  min!: number;

  @Field(() => Int, { description: 'Most ratings in the bin (inclusive).' })
  max!: number;

  @Field(() => Int, { description: 'Anime whose number of explicit ratings lies in [min, max].' })
  anime!: number;
}

@ObjectType('MostRatedAnime', { description: 'An anime with its number of explicit ratings here.' })
export class MostRatedAnimeType {
  @Field(() => AnimeType, { description: 'The anime.' })
  anime!: AnimeType;

  @Field(() => Int, { description: 'Its explicit ratings held here.' })
  ratings!: number;

  @Field(() => Float, { description: 'Mean of the explicit ratings held here (not the community score).' })
  meanRating!: number;
}
