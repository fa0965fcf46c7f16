import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { AnimeType } from './anime.type';

@Resolver(() => AnimeType)
export class AnimeResolver {
  @Query(() => AnimeType, { nullable: true, description: 'One anime by id; null when there is none.' })
  anime(@Arg('id', () => Int) id: number, @Ctx() { animeLoader }: GraphQLContext): Promise<AnimeType | null> {
    return animeLoader.load(id);
  }
}
