/**
 * Picks the tfjs backend at start-up: `tensorflow` (native, from @tensorflow/tfjs-node-gpu when
 * installed and a CUDA GPU is visible, or @tensorflow/tfjs-node), else `wasm` (XNNPACK SIMD, one
 * thread in Node), else `cpu` (pure JS). Neither native package is a dependency: their install
 * downloads libtensorflow, which fails offline; users who can install them get them used.
 */
import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../logger';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(value: string): value is BackendName {
  return (BACKENDS as readonly string[]).includes(value);
}

export interface BackendChoice {
  name: BackendName;
  /** Why this one: what was found or tried. */
  reason: string;
}

let chosen: BackendChoice | undefined;

function tryRequire(module: string): boolean {
  try {
    require(module);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: BackendName): Promise<boolean> {
  switch (name) {
    case 'tensorflow-gpu':
      return tryRequire('@tensorflow/tfjs-node-gpu') && (await tf.setBackend('tensorflow'));
    case 'tensorflow':
      return tryRequire('@tensorflow/tfjs-node') && (await tf.setBackend('tensorflow'));
    case 'wasm':
      return tryRequire('@tensorflow/tfjs-backend-wasm') && (await tf.setBackend('wasm'));
    case 'cpu':
      return tf.setBackend('cpu');
  }
}

/**
 * Activates `requested`, or the fastest available when undefined; logs and returns the choice.
 * Idempotent: later calls return the first choice unless a different backend is requested.
 */
export async function selectBackend(requested?: BackendName, logger?: Logger): Promise<BackendChoice> {
  if (chosen && (requested === undefined || requested === chosen.name)) return chosen;
  const order: BackendName[] = requested ? [requested] : [...BACKENDS];
  const tried: string[] = [];
  for (const name of order) {
    if (await activate(name).catch(() => false)) {
      await tf.ready();
      chosen = { name, reason: tried.length === 0 ? (requested ? 'requested' : 'fastest available') : `unavailable: ${tried.join(', ')}` };
      logger?.info({ backend: name, reason: chosen.reason }, 'tensor backend selected');
      return chosen;
    }
    tried.push(name);
  }
  throw new Error(`tensor backend ${requested} is not available (install its package, or use --backend wasm or cpu)`);
}
