/**
 * Query limits, checked before execution: nesting depth, number of fields (after fragments),
 * aliases, and the estimated cost (list sizes times per-field weights). Written here rather than taken from a package: the maintained options bundle
 * much more (graphql-armor) or are unmaintained (graphql-depth-limit), and this is ~60 lines.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { CostAdmission } from './admission';
import { contextError } from './format-error';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxFields: number;
  maxAliases: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxFields: 500, maxAliases: 30 };

/**
 * Depth allowed under a top-level `__schema` or `__type`: the standard introspection query
 * (graphql-js getIntrospectionQuery, what GraphiQL sends) nests type references 9 `ofType`s
 * deep, 14 levels in all; its size stays bounded by the schema.
 */
export const MAX_INTROSPECTION_DEPTH = 20;
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface Tally {
  depth: number;
  fields: number;
  aliases: number;
}

function walk(set: SelectionSetNode, depth: number, fragments: Map<string, FragmentDefinitionNode>, tally: Tally, seen: Set<string>, limits: QueryLimits): void {
  for (const selection of set.selections) {
    // Stop early: a hostile query must not cost much to reject.
    if (tally.fields > limits.maxFields || tally.depth > limits.maxDepth) return;
    if (selection.kind === Kind.FIELD && depth === 1 && selection.selectionSet && INTROSPECTION_ROOTS.has(selection.name.value)) {
      // Introspection gets its own depth allowance; its fields and aliases still count.
      const inner: Tally = { depth: 1, fields: 1, aliases: selection.alias ? 1 : 0 };
      walk(selection.selectionSet, 1, fragments, inner, seen, { ...limits, maxDepth: MAX_INTROSPECTION_DEPTH });
      tally.fields += inner.fields;
      tally.aliases += inner.aliases;
      if (inner.depth > MAX_INTROSPECTION_DEPTH) tally.depth = Math.max(tally.depth, limits.maxDepth + 1);
    } else if (selection.kind === Kind.FIELD) {
      tally.fields++;
      if (selection.alias) tally.aliases++;
      if (selection.selectionSet) {
        tally.depth = Math.max(tally.depth, depth + 1);
        walk(selection.selectionSet, depth + 1, fragments, tally, seen, limits);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      walk(selection.selectionSet, depth, fragments, tally, seen, limits);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue; // cycles are reported by graphql-js
      seen.add(fragment.name.value);
      walk(fragment.selectionSet, depth, fragments, tally, seen, limits);
      seen.delete(fragment.name.value);
    }
  }
}

export function queryLimitsRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(
      context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
    );
    return {
      OperationDefinition(operation) {
        const tally: Tally = { depth: 1, fields: 0, aliases: 0 };
        walk(operation.selectionSet, 1, fragments, tally, new Set(), limits);
        const problem =
          tally.depth > limits.maxDepth
            ? `query is nested deeper than ${limits.maxDepth} levels`
            : tally.fields > limits.maxFields
              ? `query selects more than ${limits.maxFields} fields`
              : tally.aliases > limits.maxAliases
                ? `query uses more than ${limits.maxAliases} aliases`
                : null;
        // Apollo gives every validation error the code GRAPHQL_VALIDATION_FAILED.
        if (problem) context.reportError(new GraphQLError(problem, { nodes: [operation] }));
      },
    };
  };
}

/**
 * Query cost, estimated before execution from the operation, its variables and the schema:
 * every object returned costs 1, every field its weight (FIELD_WEIGHTS: the heavy resolvers),
 * and a list multiplies what is selected under it by its size: `k`, `first`, the number of
 * `pairs`, or a known size (LIST_SIZES). Aliases are separate fields, so they add up.
 */
export const DEFAULT_COST_BUDGET = 50_000;

/**
 * Extra cost of one call of a field, beyond the objects it returns. The unit is one returned
 * object (a few microseconds to resolve and serialize); weights are rough multiples of it:
 * a recommendation list scores the whole catalog (~10 ms), scrypt takes ~50 ms by design.
 */
export const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  'Query.recommendations': 1000,
  'User.recommendations': 1000,
  'Query.similarAnime': 100,
  'Query.predictRating': 20,
  'User.predictedRating': 20,
  'Query.predictRatings': 100,
  'Query.similarity': 10,
  'Query.animes': 20,
  'Query.embeddingMap': 10,
  // A point answers its anime's fields too (~200 bytes of JSON): a map of the demo catalogue
  // (7,157 points) is ~1.4 MB, and three in one request held the thread ~100 ms while the answer
  // was written. Weighted so that one map fits a request of the default budget.
  'MapPoint.anime': 2,
  'Query.catalogStats': 100,
  'CatalogStats.ratingHistogram': 100,
  'CatalogStats.ratingsPerAnime': 100,
  'CatalogStats.mostRated': 100,
  'User.ratings': 10,
  // A count over the whole list, run only when selected.
  'AnimeConnection.totalCount': 20,
  'RatingConnection.totalCount': 10,
  'Mutation.createUser': 2000,
  'Mutation.rotateToken': 2000,
  // A fold-in per write.
  'Mutation.rateAnime': 200,
  'Mutation.deleteRating': 200,
  'Mutation.deleteMe': 200,
  'Mutation.startTraining': 1000,
};

/** Lists whose size no argument states. */
const LIST_SIZES: Readonly<Record<string, number>> = {
  'CatalogStats.ratingHistogram': 10,
  'CatalogStats.ratingsPerAnime': 20,
};

/** Size assumed for a list of objects nothing else bounds. */
export const DEFAULT_LIST_SIZE = 100;

export interface CostOptions {
  budget: number;
  /**
   * Sizes known only at run time, by `Type.field`: the map's size is the served model's item
   * count, an embedding's the model's dimension (servedListSizes).
   */
  listSize?: (coordinate: string) => number | undefined;
}

/** What the served model sets of list sizes: its item count and its embedding dimension. */
export interface ServedShape {
  items: number;
  embeddingDim: number;
}

/**
 * Run-time list sizes of the served model (none while no model is served). An embedding is a list
 * of scalars that graphql-js completes one value at a time (~1.5 µs each: 30 aliases of 100
 * 128-d embeddings held the event loop 0.58 s), so each value costs one unit, as an object does.
 */
export function servedListSizes(shape: () => ServedShape | undefined): (coordinate: string) => number | undefined {
  return (coordinate) => {
    const served = shape();
    if (!served) return undefined;
    if (coordinate === 'Query.embeddingMap') return served.items;
    if (coordinate === 'Anime.embedding' || coordinate === 'User.embedding') return served.embeddingDim;
    return undefined;
  };
}

interface CostWalk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  options: CostOptions;
}

/**
 * Largest list any argument accepts (predictRatings' 1,000 pairs): a larger `k` or `first` is
 * refused by argument validation, with a message naming the range, so it is costed at this.
 */
const MAX_SIZE_ARGUMENT = 1000;

/** The size a field's arguments give: `k`, `first` or the number of `pairs`. */
function sizeArgument(args: Record<string, unknown>): number | undefined {
  for (const name of ['k', 'first'] as const) if (typeof args[name] === 'number') return Math.min(Math.max(args[name], 0), MAX_SIZE_ARGUMENT);
  return Array.isArray(args.pairs) ? Math.min(args.pairs.length, MAX_SIZE_ARGUMENT) : undefined;
}

/** `pageSize`: the `first` of the connection above, which sizes its `edges` and `nodes` lists. */
function listSizeOf(coordinate: string, args: Record<string, unknown>, pageSize: number | undefined, walk: CostWalk): number {
  return sizeArgument(args) ?? pageSize ?? walk.options.listSize?.(coordinate) ?? LIST_SIZES[coordinate] ?? DEFAULT_LIST_SIZE;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {}; // invalid arguments are reported by execution; cost them at their defaults
  }
}

function selectionCost(
  set: SelectionSetNode,
  parent: GraphQLObjectType | GraphQLInterfaceType,
  multiplier: number,
  walk: CostWalk,
  seen: Set<string>,
  pageSize?: number,
): number {
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      if (isObjectType(type) || isInterfaceType(type)) cost += selectionCost(selection.selectionSet, type, multiplier, walk, seen, pageSize);
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value);
      seen.add(fragment.name.value);
      if (isObjectType(type) || isInterfaceType(type)) cost += selectionCost(fragment.selectionSet, type, multiplier, walk, seen, pageSize);
      seen.delete(fragment.name.value);
    } else {
      const field = parent.getFields()[selection.name.value];
      if (!field) continue; // __typename and introspection: bounded by the schema
      const coordinate = `${parent.name}.${field.name}`;
      const args = argumentsOf(field, selection, walk.variables);
      let type = isNonNullType(field.type) ? field.type.ofType : field.type;
      let size = 1;
      if (isListType(type)) {
        size = listSizeOf(coordinate, args, pageSize, walk);
        type = getNullableType(type.ofType);
      }
      cost += multiplier * (FIELD_WEIGHTS[coordinate] ?? 0);
      const named = getNamedType(type);
      if (selection.selectionSet && (isObjectType(named) || isInterfaceType(named))) {
        // A connection (`animes(first:)`) passes its size down to its edges and nodes.
        const childPage = isListType(getNullableType(field.type)) ? undefined : sizeArgument(args);
        cost += multiplier * size + selectionCost(selection.selectionSet, named, multiplier * size, walk, seen, childPage);
      } else if (isListType(getNullableType(field.type))) {
        // A list of scalars costs its values where its size is known (an embedding); short
        // lists of unknown size (genres) cost nothing beyond their field.
        cost += multiplier * (walk.options.listSize?.(coordinate) ?? 0);
      }
    }
  }
  return cost;
}

/** The estimated cost of running `operation` with `variables`. */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, options: CostOptions): number {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  return selectionCost(operation.selectionSet, root, 1, { schema, fragments, variables, options }, new Set());
}

/**
 * Refuses an operation whose estimated cost is over the budget, before it runs, with
 * QUERY_TOO_COSTLY (HTTP 400) naming the estimate and the budget. Runs after variables are
 * known (validation rules are cached per document and cannot see them). With `admission`, an
 * accepted operation then waits for room among the costly requests running (admission.ts).
 */
export function queryCostPlugin<Context extends object>(options: CostOptions & { admission?: CostAdmission }): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      // Apollo runs the plugins' didResolveOperation hooks together: another one may refuse the
      // request (and send its answer) while this one still waits, so room that comes after the
      // answer is given back at once.
      let answered = false;
      let release: (() => void) | undefined;
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables ?? {}, options);
          if (cost > options.budget) {
            throw new GraphQLError(`query cost ${Math.round(cost)} is over the budget of ${options.budget}: ask for fewer items (k, first, pairs), fewer aliases or lighter fields`, {
              extensions: { code: 'QUERY_TOO_COSTLY', cost: Math.round(cost), budget: options.budget, http: { status: 400 } },
            });
          }
          if (!options.admission) return;
          // Most requests find room: taken without a promise, as every request passes here.
          const admitted =
            options.admission.tryAdmit(cost) ??
            (await options.admission.admit(cost).catch((error: unknown) => {
              throw contextError(error);
            }));
          if (answered) admitted();
          else release = admitted;
        },
        async willSendResponse() {
          answered = true;
          release?.();
          release = undefined;
        },
      };
    },
  };
}
