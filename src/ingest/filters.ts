/** The notebook's preprocessing, as options, and named presets of them. */

export interface RatingFilters {
  /** Drop "watched, unrated" rows (-1) instead of keeping them in the `watched` table. */
  dropUnrated: boolean;
  /** Keep only ratings of anime of these types (e.g. ["TV"]); null keeps all. */
  types: string[] | null;
  /**
   * Keep only anime with MORE than this many explicit ratings in the file (all users, before
   * the user filter), as the notebook counts them; null keeps all.
   */
  minAnimeRatings: number | null;
  /** Keep only users with id BELOW this; null keeps all. */
  userIdBelow: number | null;
}

export const NO_FILTERS: RatingFilters = { dropUnrated: false, types: null, minAnimeRatings: null, userIdBelow: null };

export const PRESETS = {
  /** The teaching notebook: drop -1, TV only, anime with > 5000 ratings, users below id 10000. */
  notebook: { dropUnrated: true, types: ['TV'], minAnimeRatings: 5000, userIdBelow: 10000 },
} as const satisfies Record<string, RatingFilters>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
