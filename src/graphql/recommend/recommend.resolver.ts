import { Args, Ctx, Float, Query, Resolver } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { servingFor } from '../../recsys/embeddings';
import { predictRatings, recommend } from '../../recsys/recommend';
import { similarAnime } from '../../recsys/similar';
import type { GraphQLContext } from '../context';
import type { AnimeType } from '../anime/anime.type';
import { checkFilterValues } from '../anime/filter-values';
import { authorizeUserData, mayReadUserData, privateUserError } from '../users/user-data-access';
import type { UserSource } from '../../recsys/users';
import { PredictArgs, PredictManyArgs, RecommendArgs, RecommendationType, SimilarAnimeType, SimilarArgs, type UserRecommendArgs } from './recommend.types';


async function animeOf(context: GraphQLContext, id: number): Promise<AnimeType> {
  const anime = await context.animeLoader.load(id);
  if (!anime) throw new NotFoundError(`anime ${id} does not exist`);
  return anime;
}

@Resolver()
export class RecommendResolver {
  @Query(() => [SimilarAnimeType], { nullable: true, description: 'The k anime whose embeddings are closest (cosine) to this one.' })
  async similarAnime(@Args(() => SimilarArgs) args: SimilarArgs, @Ctx() context: GraphQLContext): Promise<SimilarAnimeType[]> {
    await animeOf(context, args.animeId);
    checkFilterValues(context.catalog, args.filter);
    const serving = await servingFor(context.models, args.model);
    const found = await similarAnime(context.db, serving, args.animeId, args.k, args.filter ?? undefined);
    return Promise.all(found.map(async (s) => ({ anime: await animeOf(context, s.animeId), similarity: s.similarity })));
  }

  @Query(() => Float, { nullable: true, description: "The model's predicted rating (1-10) of an anime by a user." })
  async predictRating(@Args(() => PredictArgs) args: PredictArgs, @Ctx() context: GraphQLContext): Promise<number> {
    await animeOf(context, args.animeId);
    await authorizeUserData(context, [args.userId]);
    return predictionFor(context, args.userId, args.animeId, args.model ?? null);
  }

  @Query(() => [Float], { nullable: true, description: 'Predicted ratings for many (user, anime) pairs in one batch, in order.' })
  async predictRatings(@Args(() => PredictManyArgs) args: PredictManyArgs, @Ctx() context: GraphQLContext): Promise<number[]> {
    await authorizeUserData(context, args.pairs.map((pair) => pair.userId));
    const serving = await servingFor(context.models, args.model);
    return predictRatings(serving, args.pairs);
  }

  @Query(() => [RecommendationType], { nullable: true, description: 'The k anime with the highest predicted ratings for a user.' })
  async recommendations(@Args(() => RecommendArgs) args: RecommendArgs, @Ctx() context: GraphQLContext): Promise<RecommendationType[]> {
    // The access check is made on the history's row (one database round trip, not two).
    return recommendationsFor(context, args.userId, args, (source) => {
      if (!mayReadUserData(context, args.userId, source)) throw privateUserError(context.caller, args.userId);
    });
  }
}

/** The model's predicted rating of an anime by a user (the caller is already authorized). */
export async function predictionFor(context: GraphQLContext, userId: number, animeId: number, model: number | null): Promise<number> {
  await animeOf(context, animeId);
  const serving = await servingFor(context.models, model);
  return (await predictRatings(serving, [{ userId, animeId }]))[0]!;
}

/** The user's recommendations with their reasons; `authorize` as in recommend(), else the caller is already authorized. */
export async function recommendationsFor(context: GraphQLContext, userId: number, args: UserRecommendArgs, authorize?: (source: UserSource) => void): Promise<RecommendationType[]> {
  checkFilterValues(context.catalog, args.filter);
  // recommend() checks that the user exists, in the query that reads their history.
  const serving = await servingFor(context.models, args.model);
  const found = await recommend(context.db, serving, userId, {
    k: args.k,
    excludeSeen: args.excludeSeen,
    filter: args.filter ?? undefined,
    authorize,
  });
  return Promise.all(
    found.map(async (r) => {
      const anime = await animeOf(context, r.animeId);
      if (!r.because) return { anime, predictedRating: r.predictedRating, personal: r.personal, because: null };
      const liked = await animeOf(context, r.because.animeId);
      return {
        anime,
        predictedRating: r.predictedRating,
        personal: r.personal,
        because: { anime: liked, rating: r.because.rating, similarity: r.because.similarity, text: `because you rated ${liked.name} ${r.because.rating}` },
      };
    }),
  );
}
