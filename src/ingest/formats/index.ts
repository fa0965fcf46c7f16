/** The dataset formats the ingester reads, by the name `--format` takes. */
import type { DatasetFormat } from '../table-format';
import { kaggleFormat } from './kaggle';
import { movielensFormat } from './movielens';

export const FORMATS = { kaggle: kaggleFormat, movielens: movielensFormat } as const satisfies Record<string, DatasetFormat>;

export type FormatName = keyof typeof FORMATS;

export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(FORMATS, name);
}
