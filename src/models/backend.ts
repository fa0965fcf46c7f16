/**
 * Picks the tfjs backend at start-up, GPU first: `tensorflow-gpu` (@tensorflow/tfjs-node-gpu
 * installed and an NVIDIA GPU visible), else `webgpu` (the `webgpu` package's Dawn and
 * @tensorflow/tfjs-backend-webgpu installed and a hardware adapter found), else the CPU path:
 * `tensorflow` (@tensorflow/tfjs-node), `wasm` (XNNPACK SIMD, one thread in Node), `cpu` (pure JS).
 * None of the native or GPU packages is a dependency: users who can install them get them used.
 *
 * WebGPU in Node cannot read results synchronously (tfjs' readSync needs an OffscreenCanvas), and
 * training steps, fold-in and predictRows read with dataSync. So under `webgpu` the global tfjs
 * backend stays the best synchronous one (`name`), and only batched head scoring
 * (src/models/predict.ts) runs on the GPU, switching the engine for the op dispatch alone.
 */
import { BackendUnavailableError, InvariantError, messageOf } from '../errors';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../logger';
import { BACKENDS, GPU_BACKENDS, type BackendName } from './backend-names';

export { BACKENDS, GPU_BACKENDS, readsAsynchronously, type BackendName } from './backend-names';

export interface BackendChoice {
  /** tfjs' global backend, where every synchronous path runs (training steps, fold-in, predictRows). */
  name: BackendName;
  /** Where batched head scoring runs: `name`, or `webgpu` (whose results are read asynchronously). */
  scoring: BackendName;
  /** The device doing the scoring: GPU model (and driver) or CPU model. */
  device: string;
  /** Whether scoring runs on a hardware GPU (not on a software WebGPU adapter). */
  gpu: boolean;
  /** Why this one: what was found, or why the faster ones were passed over. */
  reason: string;
}

/** A backend that cannot be used here, with the reason (logged, and shown in serverInfo). */
class BackendUnavailable extends Error {}

/** How long Dawn may look for an adapter before WebGPU counts as absent. */
const ADAPTER_TIMEOUT_MS = 5000;
const NVIDIA_GPUS_DIR = '/proc/driver/nvidia/gpus';
/** Ends the device of a software WebGPU adapter. */
const SOFTWARE_MARK = ' [software]';

let chosen: BackendChoice | undefined;
/** The WebGPU adapter's description once tfjs-backend-webgpu holds a device on it. */
let webGpuDevice: string | undefined;
/** Dawn's `navigator.gpu`, created once. */
let dawnGpu: Gpu | undefined;

/** Runs `load` (a literal require, so bundlers see the module); false when it throws. */
function tryRequire(load: () => unknown): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** Whether a package can be resolved (installed), without loading it. */
export function isInstalled(module: string): boolean {
  try {
    require.resolve(module);
    return true;
  } catch {
    return false;
  }
}

function cpuDevice(): string {
  const all = cpus();
  return `${all[0]?.model.trim() ?? 'unknown CPU'} (${all.length} cores)`;
}

/** The NVIDIA GPUs the kernel driver reports, e.g. "NVIDIA H200"; empty without the driver. */
export function nvidiaGpus(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(NVIDIA_GPUS_DIR);
  } catch {
    return [];
  }
  return entries.map((bus) => {
    const information = readFileSync(`${NVIDIA_GPUS_DIR}/${bus}/information`, 'utf8');
    return /^Model:\s*(.+)$/m.exec(information)?.[1]?.trim() ?? `NVIDIA GPU at ${bus}`;
  });
}

function driverVersion(): string | undefined {
  try {
    return /Kernel Module\s+([\d.]+)/.exec(readFileSync('/proc/driver/nvidia/version', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The WebGPU adapter's self-description, e.g. "NVIDIA H200 (nvidia hopper, vulkan)". */
function describeAdapter(info: AdapterInfo | undefined): string {
  if (!info) return 'WebGPU adapter';
  const name = info.description || info.device || 'WebGPU adapter';
  const detail = [info.vendor, info.architecture].filter((part) => part).join(' ');
  return detail ? `${name} (${detail})` : name;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new BackendUnavailable(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What we use of the `webgpu` package (its own types need @webgpu/types, an optional install). */
interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options: { powerPreference: 'high-performance' }): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null>;
}
interface WebGpuModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

/**
 * The `webgpu` package's Dawn addon for this platform. Loaded directly: the package's entry is an
 * ES module, which Jest's require cannot load (its extra, unmapping buffers on device.destroy(),
 * does not matter here: the device lives as long as the process).
 */
function dawnNodePath(): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return join(dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/**
 * Checks that Dawn finds a hardware adapter, then makes `navigator.gpu` visible to
 * tfjs-backend-webgpu, which registers itself only if it finds one when first loaded.
 */
async function findWebGpuAdapter(allowSoftware: boolean): Promise<string> {
  let webgpu: WebGpuModule;
  try {
    webgpu = require(dawnNodePath()) as WebGpuModule;
  } catch (error) {
    throw new BackendUnavailable(
      isInstalled('webgpu/package.json') ? `dawn.node failed to load: ${(error as Error).message}` : 'the webgpu package is not installed',
    );
  }
  // GPUBufferUsage, GPUMapMode, … are globals in a browser; tfjs-backend-webgpu uses them.
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const gpu = (dawnGpu ??= webgpu.create([]));
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), ADAPTER_TIMEOUT_MS, 'looking for a WebGPU adapter');
  if (!adapter) throw new BackendUnavailable('Dawn found no WebGPU adapter (no Vulkan GPU driver, or no libvulkan.so.1)');
  // Software renderers (lavapipe, SwiftShader) are slower than the CPU path: taken only on request.
  const software = adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true;
  if (software && !allowSoftware) {
    throw new BackendUnavailable(`the only WebGPU adapter is a software one (${describeAdapter(adapter.info)}); TFJS_BACKEND=webgpu takes it`);
  }
  const navigator = (globalThis as { navigator?: object }).navigator;
  if (navigator) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  // Loaded only now that navigator.gpu exists (a bundle holds it without node_modules, so no
  // require.resolve check earlier).
  try {
    require('@tensorflow/tfjs-backend-webgpu');
  } catch {
    throw new BackendUnavailable('@tensorflow/tfjs-backend-webgpu is not installed');
  }
  return `${describeAdapter(adapter.info)}${software ? SOFTWARE_MARK : ''}`;
}

/**
 * Activates one backend as tfjs' global backend; returns the device, or throws why not.
 * `requested`: named by the caller, not tried in auto order (a software WebGPU adapter is then taken).
 */
async function activate(name: BackendName, requested: boolean): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu': {
      const gpus = nvidiaGpus();
      if (gpus.length === 0) throw new BackendUnavailable('no NVIDIA GPU driver (/proc/driver/nvidia/gpus is absent)');
      if (!tryRequire(() => require('@tensorflow/tfjs-node-gpu'))) throw new BackendUnavailable('@tensorflow/tfjs-node-gpu is not installed');
      if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailable('libtensorflow (GPU) failed to load');
      const driver = driverVersion();
      return `${gpus[0]}${driver ? ` (driver ${driver})` : ''}`;
    }
    case 'webgpu': {
      // One Dawn instance per process: a second one beside a live device aborts the process.
      if (webGpuDevice !== undefined && tf.findBackend('webgpu')) {
        await tf.setBackend('webgpu');
        return webGpuDevice;
      }
      const device = await findWebGpuAdapter(requested);
      if (!(await tf.setBackend('webgpu'))) throw new BackendUnavailable('tfjs-backend-webgpu failed to create a device');
      webGpuDevice = device;
      return device;
    }
    case 'tensorflow':
      if (!tryRequire(() => require('@tensorflow/tfjs-node'))) throw new BackendUnavailable('@tensorflow/tfjs-node is not installed');
      if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailable('libtensorflow failed to load');
      return cpuDevice();
    case 'wasm':
      if (!tryRequire(() => require('@tensorflow/tfjs-backend-wasm'))) throw new BackendUnavailable('@tensorflow/tfjs-backend-wasm is not installed');
      if (!(await tf.setBackend('wasm'))) throw new BackendUnavailable('the wasm module failed to load');
      return cpuDevice();
    case 'cpu':
      await tf.setBackend('cpu');
      return cpuDevice();
  }
}

async function tryActivate(name: BackendName, requested: boolean, tried: string[]): Promise<string | undefined> {
  try {
    const device = await activate(name, requested);
    await tf.ready();
    return device;
  } catch (error) {
    tried.push(`${name}: ${messageOf(error)}`);
    return undefined;
  }
}

/**
 * Activates `requested`, or the fastest available when undefined; logs and returns the choice.
 * Idempotent: later calls return the first choice unless a different backend is requested.
 */
export async function selectBackend(requested?: BackendName, logger?: Logger): Promise<BackendChoice> {
  if (chosen && (requested === undefined || requested === chosen.scoring)) return chosen;
  const order: BackendName[] = requested ? [requested] : [...BACKENDS];
  const tried: string[] = [];
  for (const name of order) {
    const device = await tryActivate(name, requested !== undefined, tried);
    if (device === undefined) continue;
    let tensorBackend: BackendName = name;
    if (name === 'webgpu') {
      // The synchronous paths need a backend that can read back synchronously: the best CPU one.
      for (const cpuName of ['tensorflow', 'wasm', 'cpu'] as const) {
        if ((await tryActivate(cpuName, false, [])) !== undefined) {
          tensorBackend = cpuName;
          break;
        }
      }
    }
    const why = tried.length === 0 ? (requested ? 'requested' : 'fastest available') : `passed over ${tried.join('; ')}`;
    const gpu = GPU_BACKENDS.includes(name) && !device.endsWith(SOFTWARE_MARK);
    chosen = { name: tensorBackend, scoring: name, device, gpu, reason: why };
    logger?.info({ backend: tensorBackend, scoring: name, device, reason: why }, 'tensor backend selected');
    return chosen;
  }
  throw new BackendUnavailableError(`tensor backend ${requested} is not available: ${tried.join('; ')}`);
}

/** The backend chosen at start-up, or undefined before selectBackend ran. */
export function currentBackend(): BackendChoice | undefined {
  return chosen;
}

/**
 * Initialises `name` so that dispatchOn can run ops on it, leaving tfjs' global backend as it was
 * (EASE's solve runs on wasm whatever backend training selected).
 * @throws Error when the backend cannot be loaded here.
 */
export async function initialiseBackend(name: BackendName): Promise<void> {
  if (tf.findBackend(tfjsName(name))) return;
  const previous = tf.engine().backendName as string | null;
  try {
    await activate(name, true);
    await tf.ready();
  } catch (error) {
    throw new BackendUnavailableError(`tensor backend ${name} is not available: ${messageOf(error)}`);
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
}

/**
 * Runs `dispatch` with `backend` as tfjs' engine backend and switches back before returning:
 * ops are queued on that backend, and their results are read later with `await data()`, which
 * routes to the tensor's own backend. setBackend switches synchronously for an initialised
 * backend, so no other code can run in between. Create every input inside `dispatch`: a tensor
 * of another backend used there has its data moved to `backend` (tfjs' moveData), and a later
 * synchronous read of it under webgpu fails.
 */
export function dispatchOn<T>(backend: string, dispatch: () => T): T {
  const previous = tf.getBackend();
  if (previous === backend) return dispatch();
  // findBackend returns only initialised backends: setBackend then switches without awaiting.
  if (!tf.findBackend(backend)) throw new InvariantError(`tfjs backend ${backend} is not initialised (selectBackend first)`);
  void tf.setBackend(backend);
  if (tf.getBackend() !== backend) throw new InvariantError(`tfjs backend ${backend} did not switch synchronously`);
  try {
    return dispatch();
  } finally {
    void tf.setBackend(previous);
  }
}

/** tfjs' registry name of a backend (`tensorflow-gpu` registers as `tensorflow`). */
export function tfjsName(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}
