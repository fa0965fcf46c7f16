import { Ctx, Query, Resolver } from 'type-graphql';
import { catalogStats } from '../../recsys/catalog';
import type { GraphQLContext } from '../context';
import { CatalogStatsType } from './catalog-stats.type';

@Resolver()
export class CatalogResolver {
  @Query(() => CatalogStatsType)
  catalogStats(@Ctx() { db }: GraphQLContext): Promise<CatalogStatsType> {
    return catalogStats(db);
  }
}
