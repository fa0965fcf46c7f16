/** GraphQL over fetch to the same origin, with the signed-in user's (or the admin's) token. */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

type Response<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };

/** Runs one operation; throws ApiError with the first error's message and code. */
export async function gql<T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T> {
  let response: globalThis.Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`the server cannot be reached (${error instanceof Error ? error.message : String(error)})`, 'NETWORK');
  }
  let body: Response<T>;
  try {
    body = (await response.json()) as Response<T>;
  } catch {
    throw new ApiError(`the server answered HTTP ${response.status} without JSON`, `HTTP_${response.status}`);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code);
  if (!body.data) throw new ApiError(`the server answered HTTP ${response.status} without data`, `HTTP_${response.status}`);
  return body.data;
}

export interface AnimeSummary {
  id: number;
  name: string;
  type: string | null;
  genres: string[];
  episodes: number | null;
  communityRating: number | null;
  members: number;
}

export const ANIME_FIELDS = 'id name type genres episodes communityRating members';

const TYPE_LABELS: Record<string, string> = { MOVIE: 'Movie', SPECIAL: 'Special', MUSIC: 'Music' };

/** An AnimeType enum value as people write it (MOVIE → Movie; TV, OVA and ONA stay); null stays null. */
export const typeLabel = (type: string | null): string | null => (type === null ? null : (TYPE_LABELS[type] ?? type));
