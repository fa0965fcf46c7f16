/** jest's globalTeardown: removes the run's temp folder (see global-setup.ts). */
import { rmSync } from 'node:fs';
import { TEST_RUN_DIR_VARIABLE } from './global-setup';

export default function globalTeardown(): void {
  const dir = process.env[TEST_RUN_DIR_VARIABLE];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
