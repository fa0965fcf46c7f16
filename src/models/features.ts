/**
 * Item metadata features of the hybrid models: the notebook's quantile-scaled episodes and
 * popularity (members), and optionally genres multi-hot and type one-hot. The fitted spec
 * travels with the model (serialize.ts), so serving computes exactly the training features.
 */

/** What the features are made of, per item. */
export interface ItemMetadata {
  episodes: number | null;
  members: number;
  genres: readonly string[];
  type: string | null;
}

export interface FeatureOptions {
  /** Quantile-scaled episodes and members (the notebook's two columns). */
  quantile: boolean;
  genres: boolean;
  types: boolean;
}

/** A fitted QuantileTransformer (uniform output), as scikit-learn's, with up to 1000 quantiles. */
export interface QuantileScaler {
  quantiles: number[];
}

export interface FeatureSpec {
  options: FeatureOptions;
  episodes: QuantileScaler;
  members: QuantileScaler;
  /** Median episodes, used where episodes are unknown (still airing). */
  episodesFill: number;
  genres: string[];
  types: string[];
}

const MAX_QUANTILES = 1000;

export function fitQuantileScaler(values: readonly number[]): QuantileScaler {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { quantiles: [0] };
  const count = Math.min(MAX_QUANTILES, sorted.length);
  const quantiles: number[] = [];
  for (let q = 0; q < count; q++) {
    const position = count === 1 ? 0 : (q / (count - 1)) * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, sorted.length - 1);
    quantiles.push(sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low));
  }
  return { quantiles };
}

/** Maps a value to [0, 1] by linear interpolation between the fitted quantiles. */
export function quantileTransform(scaler: QuantileScaler, value: number): number {
  const q = scaler.quantiles;
  const last = q.length - 1;
  if (last <= 0 || value <= q[0]!) return 0;
  if (value >= q[last]!) return 1;
  let low = 0;
  let high = last;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (q[mid]! <= value) low = mid;
    else high = mid;
  }
  // Ties (repeated quantiles) take the middle of their run, as scikit-learn averages both directions.
  let tieEnd = low;
  while (tieEnd + 1 < last && q[tieEnd + 1] === q[low]) tieEnd++;
  let tieStart = low;
  while (tieStart > 0 && q[tieStart - 1] === q[low]) tieStart--;
  if (value === q[low] && tieEnd > tieStart) return (tieStart + tieEnd) / 2 / last;
  const span = q[high]! - q[low]!;
  return (low + (span > 0 ? (value - q[low]!) / span : 0)) / last;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function fitFeatureSpec(items: readonly ItemMetadata[], options: FeatureOptions): FeatureSpec {
  const known = items.flatMap((item) => (item.episodes === null ? [] : [item.episodes]));
  const episodesFill = median(known);
  return {
    options,
    episodes: fitQuantileScaler(items.map((item) => item.episodes ?? episodesFill)),
    members: fitQuantileScaler(items.map((item) => item.members)),
    episodesFill,
    genres: options.genres ? [...new Set(items.flatMap((item) => item.genres))].sort() : [],
    types: options.types ? [...new Set(items.flatMap((item) => (item.type === null ? [] : [item.type])))].sort() : [],
  };
}

export function featureWidth(spec: FeatureSpec): number {
  return (spec.options.quantile ? 2 : 0) + spec.genres.length + spec.types.length;
}

/** Row-major [items.length, featureWidth(spec)]; unknown genres and types map to zeros. */
export function itemFeatures(spec: FeatureSpec, items: readonly ItemMetadata[]): Float32Array {
  const width = featureWidth(spec);
  const out = new Float32Array(items.length * width);
  const genreIndex = new Map(spec.genres.map((genre, i) => [genre, i]));
  const typeIndex = new Map(spec.types.map((type, i) => [type, i]));
  const quantileWidth = spec.options.quantile ? 2 : 0;
  items.forEach((item, row) => {
    const base = row * width;
    if (spec.options.quantile) {
      out[base] = quantileTransform(spec.episodes, item.episodes ?? spec.episodesFill);
      out[base + 1] = quantileTransform(spec.members, item.members);
    }
    for (const genre of item.genres) {
      const g = genreIndex.get(genre);
      if (g !== undefined) out[base + quantileWidth + g] = 1;
    }
    const t = item.type === null ? undefined : typeIndex.get(item.type);
    if (t !== undefined) out[base + quantileWidth + spec.genres.length + t] = 1;
  });
  return out;
}
