/**
 * The GraphQL-over-HTTP client of the tests and benchmarks: one POST to /graphql, answered with
 * its status, headers, parsed body and time. Only graphqlData throws on GraphQL errors.
 */
export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A cursor connection as the API answers it (a query selects some of these fields). */
export interface Connection<T> {
  edges: { node: T; cursor: string }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: any;
  ms: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A request graphqlData refuses: not JSON, a non-2xx status, GraphQL errors or no data. */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
}

/** One raw POST /graphql (any body, any headers), timed. */
export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpAnswer> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed, ms: performance.now() - started };
}

/** A GraphQL request, with `token` as a bearer token: the whole answer, whatever its status and errors. */
export function gql(url: string, query: string, variables?: Record<string, unknown>, token?: string, timeoutMs?: number): Promise<HttpAnswer> {
  return post(url, JSON.stringify({ query, variables }), token === undefined ? {} : { authorization: `Bearer ${token}` }, timeoutMs);
}

/** A GraphQL request's body (never throws on GraphQL errors). */
export async function graphql<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>> {
  return (await gql(url, query, variables, token)).body as GraphQLResponse<T>;
}

/** The data of a request that must succeed; anything else throws a GraphQLRequestError that shows the answer. */
export async function graphqlData<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>, token?: string, timeoutMs?: number): Promise<T> {
  const answer = await gql(url, query, variables, token, timeoutMs);
  const body = answer.body as GraphQLResponse<T> | string;
  if (typeof body === 'string') throw new GraphQLRequestError(`HTTP ${answer.status}, not JSON: ${body.slice(0, 300)}`);
  if (answer.status < 200 || answer.status > 299 || body.errors?.length || body.data == null) {
    throw new GraphQLRequestError(`HTTP ${answer.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  }
  return body.data;
}

/** Whether `value` is a whole answer (gql, post) rather than a body (graphql). */
function isHttpAnswer(value: unknown): value is HttpAnswer {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/**
 * The first GraphQL error's `extensions.code`, of an answer (gql, post) or of a body (graphql);
 * for an answer that is not GraphQL's, fastify's `code`.
 */
export function codeOf(answerOrBody: HttpAnswer | GraphQLResponse<unknown>): string | undefined {
  const body = (isHttpAnswer(answerOrBody) ? answerOrBody.body : answerOrBody) as { errors?: { extensions?: { code?: string } }[]; code?: string } | null | undefined;
  return body?.errors?.[0]?.extensions?.code ?? body?.code;
}
