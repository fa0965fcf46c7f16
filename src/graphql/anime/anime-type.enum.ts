/**
 * The anime types as a GraphQL enum, and the one map between its names and the catalog's
 * strings: the enum's internal values ARE the strings the data uses ('Movie', 'Special'), so
 * a filter's `types: [MOVIE]` reaches the services as 'Movie' and `Anime.type` 'Movie' leaves
 * as MOVIE. A type outside the enum is a validation error in a query, not a silent empty match.
 */
import { registerEnumType } from 'type-graphql';

export const AnimeTypeEnum = {
  TV: 'TV',
  MOVIE: 'Movie',
  OVA: 'OVA',
  ONA: 'ONA',
  SPECIAL: 'Special',
  MUSIC: 'Music',
} as const;

/** A catalog string the enum names ('TV', 'Movie', ...). */
export type AnimeTypeValue = (typeof AnimeTypeEnum)[keyof typeof AnimeTypeEnum];

registerEnumType(AnimeTypeEnum, {
  name: 'AnimeType',
  description: 'The format of a title (the MyAnimeList types; a MovieLens catalog holds only MOVIE).',
  valuesConfig: {
    TV: { description: 'A television series.' },
    MOVIE: { description: 'A film.' },
    OVA: { description: 'Original video animation (released on video).' },
    ONA: { description: 'Original net animation (released online).' },
    SPECIAL: { description: 'A special episode or short beside a series.' },
    MUSIC: { description: 'A music video.' },
  },
});

const KNOWN: ReadonlySet<string> = new Set(Object.values(AnimeTypeEnum));

/** The enum value of a catalog type; null for none, and for a type the enum lacks (an ingested file may name any). */
export function animeTypeOf(type: string | null): AnimeTypeValue | null {
  return type !== null && KNOWN.has(type) ? (type as AnimeTypeValue) : null;
}

/** The enum values among `types` (the catalog's), in the enum's order. */
export function animeTypesIn(types: readonly string[]): AnimeTypeValue[] {
  const present = new Set(types);
  return Object.values(AnimeTypeEnum).filter((value) => present.has(value));
}
