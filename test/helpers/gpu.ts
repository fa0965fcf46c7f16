/**
 * Which GPU backend this machine offers, probed synchronously in a child process so a test file
 * can decide at collection time whether its GPU cases run or are reported as skipped. Set
 * ANIMEREC_REQUIRE_GPU=1 (bench/gpu.sh does) to fail instead of skipping when none is found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackendName } from '../../src/models/backend-names';

const REPOSITORY = resolve(__dirname, '../..');

// Same checks as src/models/backend.ts, without loading tfjs: packages present, and a GPU the
// driver (tensorflow-gpu) or Dawn (webgpu, hardware adapter only) can see.
const PROBE = `
const fs = require('node:fs');
const installed = (name) => { try { require.resolve(name); return true; } catch { return false; } };
if (fs.existsSync('/proc/driver/nvidia/gpus') && installed('@tensorflow/tfjs-node-gpu')) { console.log('tensorflow-gpu'); process.exit(0); }
if (!installed('webgpu') || !installed('@tensorflow/tfjs-backend-webgpu')) process.exit(0);
const timer = setTimeout(() => process.exit(0), 5000);
require('webgpu').create([]).requestAdapter({ powerPreference: 'high-performance' }).then((adapter) => {
  if (adapter && !adapter.isFallbackAdapter && !(adapter.info && adapter.info.isFallbackAdapter)) console.log('webgpu');
  clearTimeout(timer);
  process.exit(0);
}, () => process.exit(0));
`;

/** The GPU backend selectBackend would find here, or undefined. */
export function probeGpuBackend(): BackendName | undefined {
  const result = spawnSync(process.execPath, ['-e', PROBE], { cwd: REPOSITORY, encoding: 'utf8', timeout: 15_000 });
  const found = result.stdout?.trim().split('\n').pop();
  const backend = found === 'tensorflow-gpu' || found === 'webgpu' ? found : undefined;
  if (!backend && process.env.ANIMEREC_REQUIRE_GPU === '1') {
    throw new Error(`ANIMEREC_REQUIRE_GPU=1 but no GPU backend was found (nvidia driver: ${existsSync('/proc/driver/nvidia/gpus')}; probe stderr: ${result.stderr?.trim().slice(-500)})`);
  }
  return backend;
}
