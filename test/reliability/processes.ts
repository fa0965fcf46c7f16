/** Moved to test/helpers/processes.ts and test/helpers/graphql.ts; these names stay while other branches still import them here. */
export * from '../helpers/processes';
export { gql as graphqlPost } from '../helpers/graphql';
