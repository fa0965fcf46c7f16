import { Field, Float, Int, ObjectType } from 'type-graphql';
import { AnimeType } from '../anime/anime.type';

@ObjectType('RatingCount', { description: 'How many explicit ratings have this score.' })
export class RatingCountType {
  @Field(() => Int, { description: '1-10.' })
  rating!: number;

  @Field(() => Int)
  count!: number;
}

@ObjectType('RatingsPerAnimeBin', { description: 'How many anime have between min and max explicit ratings.' })
export class RatingsPerAnimeBinType {
  @Field(() => Int)
  min!: number;

  @Field(() => Int)
  max!: number;

  @Field(() => Int)
  anime!: number;
}

@ObjectType('MostRatedAnime', { description: 'An anime with its number of explicit ratings here.' })
export class MostRatedAnimeType {
  @Field(() => AnimeType)
  anime!: AnimeType;

  @Field(() => Int)
  ratings!: number;

  @Field(() => Float, { description: 'Mean of the explicit ratings held here (not the community score).' })
  meanRating!: number;
}
