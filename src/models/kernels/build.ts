/**
 * npm run build:kernels — assembles kernels/*.wat into the .wasm files served code loads
 * (committed, so running animerec needs no assembler; test/unit/all-items-head-kernel.test.ts fails when a
 * committed .wasm no longer matches its .wat). wabt is a dev dependency.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabt from 'wabt';
import { projectPath } from '../../paths';
import { messageOf } from '../../errors';

export const KERNELS_DIR = projectPath('src', 'models', 'kernels');

/** The binary of one .wat file, validated. */
export async function assemble(watPath: string): Promise<Uint8Array> {
  const module = (await wabt()).parseWat(watPath, readFileSync(watPath, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

async function main(): Promise<void> {
  for (const name of readdirSync(KERNELS_DIR).filter((file) => file.endsWith('.wat'))) {
    const wasm = join(KERNELS_DIR, name.replace(/\.wat$/, '.wasm'));
    writeFileSync(wasm, await assemble(join(KERNELS_DIR, name)));
    console.log(`wrote ${wasm}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`build:kernels: ${messageOf(error)}`);
    process.exit(1);
  });
}
