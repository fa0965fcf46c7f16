/** Training data for tests: a synthetic ratings dataset with a planted structure, and a real slice loaded into a database. */
import type { Database } from '../../src/db/database';
import { kaggleFormat } from '../../src/ingest/formats/kaggle';
import type { RatingFilters } from '../../src/ingest/filters';
import { ingest } from '../../src/ingest/ingest';
import type { ItemMetadata } from '../../src/models/features';
import type { RatingsDataset } from '../../src/trainer/dataset';
import { mulberry32 } from '../../src/trainer/random';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, tempDir } from './data-slices';

export interface SyntheticOptions {
  users: number;
  items: number;
  /** Rank of the planted user × item structure. */
  rank?: number;
  /** Fraction of (user, item) pairs rated. */
  density?: number;
  seed?: number;
}

const GENRES = ['Action', 'Comedy', 'Drama', 'Romance', 'Sci-Fi', 'Slice of Life'];
const TYPES = ['TV', 'Movie', 'OVA'];

/**
 * Ratings r = clamp(round(7 + 1.5·⟨u, v⟩ + bias_u + bias_i + noise), 1, 10) for a seeded random
 * subset of pairs (every user and item gets at least one rating), with item metadata whose
 * genres follow the item's latent factors. Database ids are spread out (not the row numbers).
 */
export function syntheticRatings(options: SyntheticOptions): RatingsDataset {
  const { users: numUsers, items: numItems, rank = 2, density = 0.5, seed = 7 } = options;
  const random = mulberry32(seed);
  const gaussian = () => {
    // Box–Muller; 1 - random() is in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    return radius * Math.cos(2 * Math.PI * random());
  };
  const userFactors = Array.from({ length: numUsers }, () => Array.from({ length: rank }, gaussian));
  const itemFactors = Array.from({ length: numItems }, () => Array.from({ length: rank }, gaussian));
  const userBias = Array.from({ length: numUsers }, () => 0.5 * gaussian());
  const itemBias = Array.from({ length: numItems }, () => 0.8 * gaussian());

  const users: number[] = [];
  const items: number[] = [];
  const ratings: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    for (let i = 0; i < numItems; i++) {
      if (random() >= density && i !== u % numItems && u !== i % numUsers) continue;
      let dot = 0;
      for (let r = 0; r < rank; r++) dot += userFactors[u]![r]! * itemFactors[i]![r]!;
      const value = 7 + 1.5 * dot + userBias[u]! + itemBias[i]! + 0.3 * gaussian();
      users.push(u);
      items.push(i);
      ratings.push(Math.min(10, Math.max(1, Math.round(value))));
    }
  }
  const itemMetadata: ItemMetadata[] = itemFactors.map((factors, i) => ({
    episodes: i % 7 === 0 ? null : 1 + ((i * 37) % 60),
    members: 100 + ((i * 7919) % 50000),
    genres: GENRES.filter((_, g) => (factors[g % rank]! > 0) === (g < GENRES.length / 2)),
    type: i % 11 === 0 ? null : TYPES[i % TYPES.length]!,
  }));
  return {
    userIds: Int32Array.from({ length: numUsers }, (_, u) => 10 + 3 * u),
    itemIds: Int32Array.from({ length: numItems }, (_, i) => 1000 + 5 * i),
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    ratings: Float32Array.from(ratings),
    itemMetadata,
  };
}

/** Loads the shipped anime file and the first `ratingRows` lines of the shipped ratings into `db`, optionally filtered. */
export async function loadShippedSlice(db: Database, ratingRows: number, filters?: RatingFilters): Promise<void> {
  const files = tempDir();
  try {
    const ratingsPath = files.write('rating.csv', headLines(SHIPPED_RATINGS, ratingRows));
    await ingest(db, { format: kaggleFormat, animePath: SHIPPED_ANIME, ratingsPath, filters });
  } finally {
    files.remove();
  }
}
