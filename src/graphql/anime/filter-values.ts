/**
 * Genres in filters must be ones the catalog uses: a typo would silently match nothing. (Types
 * are the AnimeType enum, which GraphQL validation checks.)
 */
import { InvalidInputError } from '../../errors';
import type { AnimeCatalog } from '../../recsys/anime-catalog';

/** The first few unknown values, shortened: the message must not echo a whole hostile list. */
function quoted(values: string[]): string {
  return values.slice(0, 3).map((value) => JSON.stringify(value.slice(0, 40))).join(', ') + (values.length > 3 ? ` and ${values.length - 3} more` : '');
}

function unknownIn(given: readonly string[] | null | undefined, valid: readonly string[]): string[] {
  const known = new Set(valid);
  return [...new Set(given ?? [])].filter((value) => !known.has(value));
}

/** Throws BAD_USER_INPUT naming the unknown genres and listing the valid ones. */
export function checkFilterValues(catalog: AnimeCatalog, filter: { genres?: readonly string[] | null } | null | undefined): void {
  if (!filter) return;
  const { genres } = catalog.vocabulary();
  const badGenres = unknownIn(filter.genres, genres);
  if (badGenres.length > 0) throw new InvalidInputError(`unknown genre ${quoted(badGenres)}: the genres are ${genres.join(', ')} (query genres)`);
}
