import { Arg, Args, Authorized, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { embeddingOf, servingFor } from '../../recsys/embeddings';
import { createUser, deleteRating, findUser, rateAnime, userRatings } from '../../recsys/ratings';
import { AnimeType } from '../anime/anime.type';
import type { GraphQLContext } from '../context';
import { CreatedUserType, CreateUserArgs, RateArgs, RatingPageType, RatingsPageArgs, RatingType, UserType } from './user.types';

@Resolver(() => UserType)
export class UsersResolver {
  @Query(() => UserType, { nullable: true, description: 'A user by id; null when there is none.' })
  user(@Arg('id', () => Int) id: number, @Ctx() { db }: GraphQLContext): Promise<UserType | null> {
    return findUser(db, id);
  }

  @Authorized()
  @Query(() => UserType, { description: 'The signed-in user.' })
  async me(@Ctx() { db, caller }: GraphQLContext): Promise<UserType> {
    const user = await findUser(db, caller.userId!);
    if (!user) throw new NotFoundError(`user ${caller.userId} does not exist`);
    return user;
  }

  @FieldResolver(() => [Float], { nullable: true, description: 'The user embedding in a model version (the active one by default); null when it has none.' })
  async embedding(@Root() user: UserType, @Arg('model', () => Int, { nullable: true }) model: number | null, @Ctx() context: GraphQLContext): Promise<number[] | null> {
    return embeddingOf(await servingFor(context.models, model), 'user', user.id);
  }

  @FieldResolver(() => RatingPageType, { description: "The user's ratings, newest first." })
  ratings(@Root() user: UserType, @Args(() => RatingsPageArgs) args: RatingsPageArgs, @Ctx() { db }: GraphQLContext): Promise<RatingPageType> {
    return userRatings(db, user.id, args.first, args.after ?? null);
  }

  @Mutation(() => CreatedUserType, { description: 'Creates a user and returns its API token (shown once).' })
  createUser(@Args(() => CreateUserArgs) args: CreateUserArgs, @Ctx() { db }: GraphQLContext): Promise<CreatedUserType> {
    return createUser(db, args.name);
  }

  @Authorized()
  @Mutation(() => RatingType, { description: "Rates an anime as the signed-in user (upsert); recommendations follow at once." })
  rateAnime(@Args(() => RateArgs) args: RateArgs, @Ctx() { db, models, logger, caller }: GraphQLContext): Promise<RatingType> {
    return rateAnime(db, models, logger, caller.userId!, args.animeId, args.rating);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Removes the signed-in user's rating; false when there was none." })
  deleteRating(@Arg('animeId', () => Int) animeId: number, @Ctx() { db, models, logger, caller }: GraphQLContext): Promise<boolean> {
    return deleteRating(db, models, logger, caller.userId!, animeId);
  }
}

@Resolver(() => RatingType)
export class RatingResolver {
  @FieldResolver(() => AnimeType)
  async anime(@Root() rating: RatingType, @Ctx() { animeLoader }: GraphQLContext): Promise<AnimeType> {
    const anime = await animeLoader.load(rating.animeId);
    if (!anime) throw new NotFoundError(`anime ${rating.animeId} does not exist`);
    return anime;
  }
}
