/**
 * jest's globalSetup: a temp folder for the whole run, shared by every worker through
 * ANIMEREC_TEST_RUN_DIR (the PGlite template lives there, see pglite-template.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The environment variable naming the run's folder. */
export const TEST_RUN_DIR_VARIABLE = 'ANIMEREC_TEST_RUN_DIR';

export default function globalSetup(): void {
  process.env[TEST_RUN_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'animerec-test-run-'));
}
