import { Args, ArgsType, Ctx, Field, FieldResolver, Int, Query, Resolver } from 'type-graphql';
import { cachedStat, catalogStats } from '../../recsys/catalog';
import { mostRatedAnime, ratingHistogram, ratingsPerAnime } from '../../recsys/rating-stats';
import type { GraphQLContext } from '../context';
import { IntRange } from '../validation';
import { CatalogStatsType } from './catalog-stats.type';
import { MostRatedAnimeType, RatingCountType, RatingsPerAnimeBinType } from './rating-stats.types';

/** Longest most-rated list one query may ask for. */
export const MAX_MOST_RATED = 100;

@ArgsType()
class MostRatedArgs {
  @Field(() => Int, { description: 'How many anime, 1-100.', defaultValue: 10 })
  @IntRange(1, MAX_MOST_RATED)
  k!: number;
}

@Resolver(() => CatalogStatsType)
export class CatalogResolver {
  @Query(() => CatalogStatsType, { nullable: true, description: 'How much data the service holds; computed once and kept until the data changes.' })
  catalogStats(@Ctx() { db }: GraphQLContext): Promise<CatalogStatsType> {
    return catalogStats(db);
  }

  @FieldResolver(() => [RatingCountType], { description: 'Explicit ratings per score 1-10 (the "watched" -1 rows are `watched`).' })
  ratingHistogram(@Ctx() { db }: GraphQLContext): Promise<RatingCountType[]> {
    return cachedStat(db, 'ratingHistogram', () => ratingHistogram(db));
  }

  @FieldResolver(() => [RatingsPerAnimeBinType], { description: 'The popularity distribution: anime per number of ratings, in power-of-two bins (0, 1, 2-3, 4-7, …).' })
  ratingsPerAnime(@Ctx() { db }: GraphQLContext): Promise<RatingsPerAnimeBinType[]> {
    return cachedStat(db, 'ratingsPerAnime', () => ratingsPerAnime(db));
  }

  @FieldResolver(() => [MostRatedAnimeType], { description: 'The anime with the most explicit ratings, most first.' })
  async mostRated(
    @Args(() => MostRatedArgs) { k }: MostRatedArgs,
    @Ctx() { db, animeLoader }: GraphQLContext,
  ): Promise<MostRatedAnimeType[]> {
    const rows = await cachedStat(db, `mostRated:${k}`, () => mostRatedAnime(db, k));
    return Promise.all(rows.map(async (row) => ({ ...row, anime: (await animeLoader.load(row.animeId))! })));
  }
}
