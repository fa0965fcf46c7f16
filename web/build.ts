/**
 * `npm run build:web`: bundles the playground (web/src) and GraphiQL (web/graphiql) with their
 * editor workers into dist/web, every asset local (the playground must work offline), with
 * gzip and brotli copies that the server hands to browsers that accept them.
 *   npm run build:web [-- --force]   (skipped when dist/web is newer than every input)
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

const ROOT = resolve(__dirname, '..');
const WEB = join(ROOT, 'web');
/** Where the server looks for the built playground (src/server/playground.ts). */
export const OUT_DIR = join(ROOT, 'dist/web');
const ASSETS = join(OUT_DIR, 'assets');
const STAMP = join(OUT_DIR, '.built');

const MONACO_WORKERS = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
};

/** Newest modification time under a path (files only). */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function upToDate(): boolean {
  if (!existsSync(STAMP)) return false;
  const inputs = Math.max(newestMtime(WEB), newestMtime(join(ROOT, 'package-lock.json')));
  return statSync(STAMP).mtimeMs > inputs;
}

const common: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: ['es2022'],
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

async function bundle(): Promise<void> {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(ASSETS, { recursive: true });
  await Promise.all([
    build({ ...common, entryPoints: { app: join(WEB, 'src/main.ts') }, outdir: ASSETS, format: 'esm' }),
    build({
      ...common,
      entryPoints: { graphiql: join(WEB, 'graphiql/main.tsx') },
      outdir: ASSETS,
      format: 'esm',
      jsx: 'automatic',
      // Monaco's icon font travels as a file beside the CSS that names it.
      loader: { '.ttf': 'file' },
      assetNames: '[name]-[hash]',
    }),
    // Monaco runs its language services in workers: each is its own classic script.
    build({ ...common, entryPoints: MONACO_WORKERS, outdir: ASSETS, format: 'iife' }),
  ]);
  for (const page of ['index.html', 'graphiql.html']) copyFileSync(join(WEB, page), join(OUT_DIR, page));
}

/** Writes .gz and .br beside every text asset; returns [file, bytes, gzip bytes] rows. */
function compress(): [string, number, number][] {
  const sizes: [string, number, number][] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|css|html|ttf)$/.test(name)) {
        const content = readFileSync(path);
        const gz = gzipSync(content, { level: 9 });
        writeFileSync(`${path}.gz`, gz);
        writeFileSync(`${path}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } }));
        sizes.push([relative(OUT_DIR, path), content.length, gz.length]);
      }
    }
  };
  walk(OUT_DIR);
  return sizes.sort((a, b) => a[0].localeCompare(b[0]));
}

async function main(): Promise<void> {
  if (!process.argv.includes('--force') && upToDate()) {
    process.stdout.write('build:web: dist/web is up to date\n');
    return;
  }
  const started = Date.now();
  await bundle();
  const sizes = compress();
  writeFileSync(STAMP, new Date().toISOString());
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`.padStart(8);
  process.stdout.write(`build:web: dist/web in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const [file, raw, gz] of sizes) process.stdout.write(`  ${file.padEnd(40)} ${kb(raw)} ${kb(gz)} gzip\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`build:web: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
