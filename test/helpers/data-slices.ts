/** Small real slices of the shipped demo data, written to temp files for tests. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const DATA_DIR = resolve(__dirname, '../../data');
export const SHIPPED_ANIME = join(DATA_DIR, 'anime.csv.gz');
export const SHIPPED_RATINGS = join(DATA_DIR, 'rating_sample_5000users.csv.gz');

/** The shipped file's text, CRLF line endings kept. */
export function shippedText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}

/** The header and the first `rows` data lines of a shipped file, exactly as shipped (CRLF). */
export function headLines(path: string, rows: number): string {
  const lines = shippedText(path).split('\r\n');
  return lines.slice(0, rows + 1).join('\r\n') + '\r\n';
}

export interface TempDir {
  path: string;
  write(name: string, content: string | Buffer): string;
  remove(): void;
}

export function tempDir(prefix = 'animerec-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    write(name, content) {
      const file = join(path, name);
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
