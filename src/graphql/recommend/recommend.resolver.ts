import { Args, Ctx, Float, Query, Resolver } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { servingFor } from '../../recsys/embeddings';
import { predictRatings, recommend } from '../../recsys/recommend';
import { similarAnime } from '../../recsys/similar';
import type { GraphQLContext } from '../context';
import type { AnimeType } from '../anime/anime.type';
import { PredictArgs, PredictManyArgs, RecommendArgs, RecommendationType, SimilarAnimeType, SimilarArgs } from './recommend.types';


async function animeOf(context: GraphQLContext, id: number): Promise<AnimeType> {
  const anime = await context.animeLoader.load(id);
  if (!anime) throw new NotFoundError(`anime ${id} does not exist`);
  return anime;
}

async function requireUser(context: GraphQLContext, id: number): Promise<void> {
  // Plain SQL: on the hot path of every prediction, Prisma's overhead was most of the cost.
  const { rowCount } = await context.db.query('SELECT 1 FROM app_user WHERE id = $1', [id]);
  if (rowCount === 0) throw new NotFoundError(`user ${id} does not exist`);
}

@Resolver()
export class RecommendResolver {
  @Query(() => [SimilarAnimeType], { description: 'The k anime whose embeddings are closest (cosine) to this one.' })
  async similarAnime(@Args(() => SimilarArgs) args: SimilarArgs, @Ctx() context: GraphQLContext): Promise<SimilarAnimeType[]> {
    await animeOf(context, args.animeId);
    const serving = await servingFor(context.models, args.model);
    const found = await similarAnime(context.db, serving, args.animeId, args.k, args.filter ?? undefined);
    return Promise.all(found.map(async (s) => ({ anime: await animeOf(context, s.animeId), similarity: s.similarity })));
  }

  @Query(() => Float, { description: "The model's predicted rating (1-10) of an anime by a user." })
  async predictRating(@Args(() => PredictArgs) args: PredictArgs, @Ctx() context: GraphQLContext): Promise<number> {
    await animeOf(context, args.animeId);
    await requireUser(context, args.userId);
    const serving = await servingFor(context.models, args.model);
    return (await predictRatings(serving, [{ userId: args.userId, animeId: args.animeId }]))[0]!;
  }

  @Query(() => [Float], { description: 'Predicted ratings for many (user, anime) pairs in one batch, in order.' })
  async predictRatings(@Args(() => PredictManyArgs) args: PredictManyArgs, @Ctx() context: GraphQLContext): Promise<number[]> {
    const serving = await servingFor(context.models, args.model);
    return predictRatings(serving, args.pairs);
  }

  @Query(() => [RecommendationType], { description: 'The k anime with the highest predicted ratings for a user.' })
  async recommendations(@Args(() => RecommendArgs) args: RecommendArgs, @Ctx() context: GraphQLContext): Promise<RecommendationType[]> {
    // recommend() checks that the user exists, in the query that reads their history.
    const serving = await servingFor(context.models, args.model);
    const found = await recommend(context.db, serving, args.userId, {
      k: args.k,
      excludeSeen: args.excludeSeen,
      filter: args.filter ?? undefined,
    });
    return Promise.all(
      found.map(async (r) => {
        const anime = await animeOf(context, r.animeId);
        if (!r.because) return { anime, predictedRating: r.predictedRating, because: null };
        const liked = await animeOf(context, r.because.animeId);
        return {
          anime,
          predictedRating: r.predictedRating,
          because: { anime: liked, rating: r.because.rating, similarity: r.because.similarity, text: `because you rated ${liked.name} ${r.because.rating}` },
        };
      }),
    );
  }
}
