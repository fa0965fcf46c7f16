import { Arg, Args, Authorized, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError } from '../../errors';
import { embeddingOf, servingFor } from '../../recsys/embeddings';
import { countUserRatings, deleteRating, rateAnime, userRatings } from '../../recsys/ratings';
import { createUser, deleteUser, findUser, revokeToken, rotateToken } from '../../recsys/users';
import { AnimeType } from '../anime/anime.type';
import { ConnectionArgs, connectionOf, type ConnectionValue } from '../connection';
import type { GraphQLContext } from '../context';
import { predictionFor, recommendationsFor } from '../recommend/recommend.resolver';
import { RecommendationType, UserRecommendArgs } from '../recommend/recommend.types';
import { mayReadUserData, privateUserError } from './user-data-access';
import { MutationInput, type MutationArgs } from '../mutation-input';
import { CreateUserInput, DeleteRatingInput, RateAnimeInput, RevokeTokenInput } from './user.inputs';
import { CreateUserPayload, DeleteMePayload, DeleteRatingPayload, RateAnimePayload, RevokeTokenPayload, RotateTokenPayload } from './user.payloads';
import { RatingConnection, RatingType, UserType } from './user.types';

const CreateUserArgs = MutationInput(CreateUserInput, 'The new user.');
const RevokeTokenArgs = MutationInput(RevokeTokenInput, 'Whose token; omit for your own.', { empty: {} });
const RateAnimeArgs = MutationInput(RateAnimeInput, 'The anime and the rating.');
const DeleteRatingArgs = MutationInput(DeleteRatingInput, 'Which rating.');

/** Every field of a user but id, source and createdAt is private unless the user is in the public sample. */
function assertMayRead(context: GraphQLContext, user: UserType): void {
  if (!mayReadUserData(context, user.id, user.source)) throw privateUserError(context.caller, user.id);
}

@Resolver(() => UserType)
export class UsersResolver {
  @Query(() => UserType, { nullable: true, description: 'A user by id; null when there is none. An API user\'s data is readable only by that user and the admin.' })
  user(@Arg('id', () => Int, { description: 'The user id.' }) id: number, @Ctx() { db }: GraphQLContext): Promise<UserType | null> {
    return findUser(db, id);
  }

  @Authorized()
  @Query(() => UserType, { nullable: true, description: 'The signed-in user: the entry point to their ratings, recommendations and predictions.' })
  async me(@Ctx() { db, caller }: GraphQLContext): Promise<UserType> {
    const user = await findUser(db, caller.userId!);
    if (!user) throw new NotFoundError(`user ${caller.userId} does not exist`);
    return user;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The name given at creation (private for API users).' })
  name(@Root() user: UserType, @Ctx() context: GraphQLContext): string | null {
    assertMayRead(context, user);
    return user.name;
  }

  @FieldResolver(() => [Float], { nullable: true, description: 'The user embedding in a model version (the active one by default); null when it has none.' })
  async embedding(@Root() user: UserType, @Arg('model', () => Int, { nullable: true, description: 'A model version id; the active one when omitted.' }) model: number | null, @Ctx() context: GraphQLContext): Promise<number[] | null> {
    assertMayRead(context, user);
    return embeddingOf(await servingFor(context.models, model), 'user', user.id);
  }

  @FieldResolver(() => RatingConnection, { nullable: true, description: "The user's ratings, newest first." })
  async ratings(@Root() user: UserType, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: GraphQLContext): Promise<ConnectionValue<RatingType>> {
    assertMayRead(context, user);
    return connectionOf(await userRatings(context.db, user.id, args.first, args.after ?? null), args.after, () => countUserRatings(context.db, user.id));
  }

  @FieldResolver(() => [RecommendationType], { nullable: true, description: 'The k anime with the highest predicted ratings for this user.' })
  recommendations(@Root() user: UserType, @Args(() => UserRecommendArgs) args: UserRecommendArgs, @Ctx() context: GraphQLContext): Promise<RecommendationType[]> {
    assertMayRead(context, user);
    return recommendationsFor(context, user.id, args);
  }

  @FieldResolver(() => Float, { nullable: true, description: "The model's predicted rating (1-10) of an anime by this user." })
  predictedRating(
    @Root() user: UserType,
    @Arg('animeId', () => Int, { description: 'The anime to predict.' }) animeId: number,
    @Arg('model', () => Int, { nullable: true, description: 'A model version id; the active one when omitted.' }) model: number | null,
    @Ctx() context: GraphQLContext,
  ): Promise<number> {
    assertMayRead(context, user);
    return predictionFor(context, user.id, animeId, model);
  }

  @Mutation(() => CreateUserPayload, { nullable: true, description: 'Creates a user and returns its API token (shown once; it expires after TOKEN_TTL_DAYS).' })
  async createUser(@Args(() => CreateUserArgs) { input }: MutationArgs<CreateUserInput>, @Ctx() context: GraphQLContext): Promise<CreateUserPayload> {
    const created = await createUser(context.db, input.name, context.tokenTtlDays);
    context.createdUsers.add(created.user.id);
    return { user: created.user, token: created.token, tokenExpiresAt: created.expiresAt };
  }

  @Authorized()
  @Mutation(() => RotateTokenPayload, { nullable: true, description: "Replaces the signed-in user's token by a new one with a fresh expiry; the old token stops working at once." })
  rotateToken(@Ctx() { db, caller, tokenTtlDays }: GraphQLContext): Promise<RotateTokenPayload> {
    return rotateToken(db, caller.userId!, tokenTtlDays);
  }

  @Mutation(() => RevokeTokenPayload, { nullable: true, description: "Revokes the signed-in user's token (nobody can sign in as them after); the admin may name any user." })
  async revokeToken(
    @Args(() => RevokeTokenArgs) { input }: MutationArgs<RevokeTokenInput>,
    @Ctx() { db, caller }: GraphQLContext,
  ): Promise<RevokeTokenPayload> {
    if (caller.badToken) throw new UnauthenticatedError('the token is not valid');
    if (caller.userId === null && !caller.admin) throw new UnauthenticatedError('sign in first: send "Authorization: Bearer <token>"');
    const target = input.userId ?? caller.userId;
    if (target === null) throw new InvalidInputError('the admin must name input.userId');
    if (target !== caller.userId && !caller.admin) throw new ForbiddenError("only the admin may revoke another user's token");
    return { userId: target, revoked: await revokeToken(db, target) };
  }

  @Authorized()
  @Mutation(() => DeleteMePayload, { nullable: true, description: 'Deletes the signed-in user with their ratings, watched rows, embeddings and token, in one transaction.' })
  async deleteMe(@Ctx() { db, caller }: GraphQLContext): Promise<DeleteMePayload> {
    return { deletedUserId: caller.userId!, ...(await deleteUser(db, caller.userId!)) };
  }

  @Authorized()
  @Mutation(() => RateAnimePayload, { nullable: true, description: 'Rates an anime as the signed-in user (upsert); recommendations follow at once.' })
  async rateAnime(@Args(() => RateAnimeArgs) { input }: MutationArgs<RateAnimeInput>, @Ctx() { db, models, caller }: GraphQLContext): Promise<RateAnimePayload> {
    return { rating: await rateAnime(db, models, caller.userId!, input.animeId, input.rating) };
  }

  @Authorized()
  @Mutation(() => DeleteRatingPayload, { nullable: true, description: "Removes the signed-in user's rating of an anime." })
  async deleteRating(@Args(() => DeleteRatingArgs) { input }: MutationArgs<DeleteRatingInput>, @Ctx() { db, models, caller }: GraphQLContext): Promise<DeleteRatingPayload> {
    return { animeId: input.animeId, deleted: await deleteRating(db, models, caller.userId!, input.animeId) };
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
