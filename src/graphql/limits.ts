/**
 * Query limits, checked before execution: nesting depth, number of fields (after fragments),
 * and aliases. Written here rather than taken from a package: the maintained options bundle
 * much more (graphql-armor) or are unmaintained (graphql-depth-limit), and this is ~60 lines.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
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
