import { Arg, Args, Ctx, FieldResolver, Float, Int, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { countAnime, searchAnime } from '../../recsys/catalog';
import { embeddingOf, mapPoints, servingFor } from '../../recsys/embeddings';
import type { GraphQLContext } from '../context';
import { connectionOf, type ConnectionValue } from '../connection';
import { AnimeConnection, AnimesArgs } from './anime.args';
import { AnimeTypeEnum, animeTypeOf, animeTypesIn, type AnimeTypeValue } from './anime-type.enum';
import { AnimeType } from './anime.type';
import { checkFilterValues } from './filter-values';
import { listInTurns } from '../field-turns';
import { MapPointType } from './map-point.type';

@Resolver(() => AnimeType)
export class AnimeResolver {
  @Query(() => AnimeType, { nullable: true, description: 'One anime by id; null when there is none.' })
  anime(@Arg('id', () => Int, { description: 'The MyAnimeList anime_id.' }) id: number, @Ctx() { animeLoader }: GraphQLContext): Promise<AnimeType | null> {
    return animeLoader.load(id);
  }

  @Query(() => AnimeConnection, { nullable: true, description: 'Search the catalog by name, genres and types, most members first.' })
  async animes(@Args(() => AnimesArgs) args: AnimesArgs, @Ctx() { db, catalog }: GraphQLContext): Promise<ConnectionValue<AnimeType>> {
    checkFilterValues(catalog, args);
    return connectionOf(await searchAnime(db, args, args.first, args.after ?? null), args.after, () => countAnime(db, args));
  }

  @Query(() => [String], { nullable: true, description: 'The genres the catalog uses, sorted: the values `genres` filters accept.' })
  genres(@Ctx() { catalog }: GraphQLContext): string[] {
    return catalog.vocabulary().genres;
  }

  @Query(() => [AnimeTypeEnum], { nullable: true, description: 'The anime types the catalog holds, in the enum\'s order (a filter on another type matches nothing).' })
  animeTypes(@Ctx() { catalog }: GraphQLContext): AnimeTypeValue[] {
    return animeTypesIn(catalog.vocabulary().types);
  }

  @FieldResolver(() => AnimeTypeEnum, { nullable: true, description: 'The format; null when the source data gives none or one the enum lacks.' })
  type(@Root() anime: AnimeType): AnimeTypeValue | null {
    return animeTypeOf(anime.type);
  }

  @FieldResolver(() => [Float], { nullable: true, description: "The item embedding in a model version (the active one by default); null when it has none." })
  async embedding(@Root() anime: AnimeType, @Arg('model', () => Int, { nullable: true, description: 'A model version id; the active one when omitted.' }) model: number | null, @Ctx() context: GraphQLContext): Promise<number[] | null> {
    const serving = await servingFor(context.models, model);
    return embeddingOf(serving, 'item', anime.id);
  }

  @Query(() => Float, { nullable: true, description: 'Cosine similarity of two anime in a model version.' })
  async similarity(
    @Arg('animeA', () => Int, { description: 'One anime.' }) animeA: number,
    @Arg('animeB', () => Int, { description: 'The other anime.' }) animeB: number,
    @Arg('model', () => Int, { nullable: true, description: 'A model version id; the active one when omitted.' }) model: number | null,
    @Ctx() context: GraphQLContext,
  ): Promise<number> {
    const serving = await servingFor(context.models, model);
    const [a, b] = [embeddingOf(serving, 'item', animeA), embeddingOf(serving, 'item', animeB)];
    if (!a) throw new NotFoundError(`anime ${animeA} has no embedding in model version ${serving.versionId}`);
    if (!b) throw new NotFoundError(`anime ${animeB} has no embedding in model version ${serving.versionId}`);
    const dot = a.reduce((sum, x, j) => sum + x * b[j]!, 0);
    return dot / (Math.hypot(...a) * Math.hypot(...b) || 1);
  }

  @Query(() => [MapPointType], { nullable: true, description: "The 2-D map of a model version's item embeddings (UMAP or t-SNE)." })
  async embeddingMap(@Arg('model', () => Int, { nullable: true, description: 'A model version id; the active one when omitted.' }) model: number | null, @Ctx() context: GraphQLContext): Promise<Promise<MapPointType>[]> {
    const serving = await servingFor(context.models, model);
    const points = await mapPoints(context.db, serving.versionId);
    const anime = await context.animeLoader.loadMany(points.map((p) => p.animeId));
    const failed = anime.find((a) => a instanceof Error);
    if (failed) throw failed;
    return listInTurns(points.map((p, n) => ({ ...p, anime: anime[n] as AnimeType })));
  }
}
