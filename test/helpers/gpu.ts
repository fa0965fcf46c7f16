/**
 * Which GPU backend this machine offers, probed synchronously in a child process so a test file
 * can decide at collection time whether its GPU cases run or are reported as skipped. Set
 * ANIMEREC_REQUIRE_GPU=1 (bench/gpu.sh does) to fail instead of skipping when none is found, and
 * ANIMEREC_GPU_TEST_SOFTWARE=1 to count a software WebGPU adapter (lavapipe) as one, which
 * exercises the WebGPU path on a machine without a GPU.
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
if (!installed('webgpu/package.json') || !installed('@tensorflow/tfjs-backend-webgpu')) process.exit(0);
const timer = setTimeout(() => process.exit(0), 5000);
const arch = process.platform === 'darwin' ? 'universal' : process.arch;
const dawn = require(require('node:path').join(require.resolve('webgpu/package.json'), '..', 'dist', process.platform + '-' + arch, 'dawn.node'));
dawn.create([]).requestAdapter({ powerPreference: 'high-performance' }).then((adapter) => {
  const software = adapter && (adapter.isFallbackAdapter || (adapter.info && adapter.info.isFallbackAdapter));
  if (adapter && !software) console.log('webgpu');
  else if (adapter && process.env.ANIMEREC_GPU_TEST_SOFTWARE === '1') console.log('webgpu-software');
  clearTimeout(timer);
  process.exit(0);
}, () => process.exit(0));
`;

export interface GpuProbe {
  backend: BackendName;
  /** A software WebGPU adapter (only with ANIMEREC_GPU_TEST_SOFTWARE=1): auto selection passes it over. */
  software: boolean;
}

/** The GPU backend selectBackend would find here (or, on request, a software WebGPU one), or undefined. */
export function probeGpuBackend(): GpuProbe | undefined {
  const result = spawnSync(process.execPath, ['-e', PROBE], { cwd: REPOSITORY, encoding: 'utf8', timeout: 15_000 });
  const found = result.stdout?.trim().split('\n').pop();
  const backend: GpuProbe | undefined =
    found === 'tensorflow-gpu' || found === 'webgpu'
      ? { backend: found, software: false }
      : found === 'webgpu-software'
        ? { backend: 'webgpu', software: true }
        : undefined;
  if (!backend && process.env.ANIMEREC_REQUIRE_GPU === '1') {
    throw new Error(`ANIMEREC_REQUIRE_GPU=1 but no GPU backend was found (nvidia driver: ${existsSync('/proc/driver/nvidia/gpus')}; probe stderr: ${result.stderr?.trim().slice(-500)})`);
  }
  return backend;
}
