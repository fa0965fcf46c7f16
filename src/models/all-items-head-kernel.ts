/**
 * The head tail (all-items-head.ts) for the common shape — ReLU layer 1, one ReLU hidden layer whose
 * width is a multiple of 16, a linear output layer: the hybrid model and its classifier — as a
 * small hand-written WebAssembly SIMD kernel (kernels/head-tail.wat) instead of tfjs ops.
 * Why by hand: tfjs-wasm's XNNPACK multiplies the dense [items, units] layer-1 activations,
 * but ReLU leaves about two thirds of them at zero on our models, and no kernel tfjs offers
 * skips those products. On the trained demo model (7,157 items, 64 → 64 → 1, 67% of layer 1
 * at zero) it is ~1.9x the tfjs-wasm tail (`npm run bench:scoring`), with the same outputs
 * within float rounding (tested). Used on the CPU backends only (wasm, cpu); GPU and native
 * backends keep the tfjs ops.
 */
import { InvariantError } from '../errors';
import { readFileSync } from 'node:fs';
import type { HeadTailSpec } from './all-items-head';
import { projectPath } from '../paths';

/** kernels/head-tail.wasm, built from kernels/head-tail.wat by `npm run build:kernels`. */
export const KERNEL_WASM = projectPath('src', 'models', 'kernels', 'head-tail.wasm');

/** Hidden-layer units are summed 16 at a time (four SIMD registers). */
const HIDDEN_STEP = 16;
/** Layer-1 units are read four at a time (one SIMD register). */
const FIRST_STEP = 4;

let compiled: WebAssembly.Module | null = null;

/** Whether the kernel computes this spec's tail (else the tfjs ops do). */
export function kernelFits(spec: HeadTailSpec): boolean {
  const [hidden, output] = spec.rest;
  if (!spec.firstRelu || spec.rest.length !== 2 || !hidden || !output) return false;
  const firstUnits = spec.itemPart.length / spec.items;
  return (
    firstUnits % FIRST_STEP === 0 &&
    hidden.relu &&
    hidden.inputs === firstUnits &&
    hidden.units % HIDDEN_STEP === 0 &&
    !output.relu &&
    output.inputs === hidden.units
  );
}

/**
 * Byte shuffles for i8x16.swizzle, one per 4-bit sign mask: they move the lanes whose bit is
 * set to the front, in order (the kernel's branch-free packing of positive activations).
 */
function packingShuffles(): Uint8Array {
  const shuffles = new Uint8Array(16 * 16).fill(0x80); // 0x80: swizzle writes a zero byte
  for (let mask = 0; mask < 16; mask++) {
    let slot = 0;
    for (let lane = 0; lane < 4; lane++) {
      if ((mask & (1 << lane)) === 0) continue;
      for (let byte = 0; byte < 4; byte++) shuffles[mask * 16 + slot * 4 + byte] = lane * 4 + byte;
      slot++;
    }
  }
  return shuffles;
}

interface Layout {
  itemPart: number;
  userPart: number;
  w2: number;
  b2: number;
  w3t: number;
  b3: number;
  out: number;
  /** Layer 1's item half of chosen rows, gathered for `outputsOfRows`. */
  gathered: number;
  packedRows: number;
  packedValues: number;
  h2: number;
  shuffles: number;
  bytes: number;
}

/** Byte offsets of every array in the kernel's memory, each 16-byte aligned. */
function layoutFor(items: number, firstUnits: number, hiddenUnits: number, outputs: number): Layout {
  let top = 0;
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const floats = (count: number) => take(count * 4);
  return {
    itemPart: floats(items * firstUnits),
    userPart: floats(firstUnits),
    w2: floats(firstUnits * hiddenUnits),
    b2: floats(hiddenUnits),
    w3t: floats(outputs * hiddenUnits),
    b3: floats(outputs),
    out: floats(items * outputs),
    gathered: floats(items * firstUnits),
    packedRows: floats(firstUnits + 4), // + 4: room for the zero entry that pads an odd list
    packedValues: floats(firstUnits + 4),
    h2: floats(hiddenUnits),
    shuffles: take(256),
    bytes: top, // evaluated last, after every take above
  };
}

type TailFunction = (...args: number[]) => void;

/** A spec's tail in its own WebAssembly instance and memory; `kernelFits(spec)` must hold. */
export class KernelHeadTail {
  private readonly memory: WebAssembly.Memory;
  private readonly run: TailFunction;
  private readonly layout: Layout;
  private readonly items: number;
  private readonly firstUnits: number;
  private readonly hiddenUnits: number;
  private readonly outputCount: number;

  constructor(spec: HeadTailSpec) {
    if (!kernelFits(spec)) throw new InvariantError('KernelHeadTail: this head shape needs the tfjs tail (check kernelFits first)');
    compiled ??= new WebAssembly.Module(readFileSync(KERNEL_WASM));
    const instance = new WebAssembly.Instance(compiled);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.run = instance.exports.tail as TailFunction;
    const [hidden, output] = spec.rest as [HeadTailSpec['rest'][0], HeadTailSpec['rest'][0]];
    this.items = spec.items;
    this.firstUnits = spec.itemPart.length / spec.items;
    this.hiddenUnits = hidden.units;
    this.outputCount = output.units;
    this.layout = layoutFor(this.items, this.firstUnits, this.hiddenUnits, this.outputCount);
    const missing = this.layout.bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));

    // The output layer is stored transposed: one row of hidden weights per output.
    const w3t = new Float32Array(this.outputCount * this.hiddenUnits);
    for (let unit = 0; unit < this.hiddenUnits; unit++) {
      for (let out = 0; out < this.outputCount; out++) w3t[out * this.hiddenUnits + unit] = output.weights[unit * this.outputCount + out]!;
    }
    const put = (at: number, values: Float32Array) => new Float32Array(this.memory.buffer, at, values.length).set(values);
    put(this.layout.itemPart, spec.itemPart);
    put(this.layout.w2, hidden.weights);
    put(this.layout.b2, hidden.bias);
    put(this.layout.w3t, w3t);
    put(this.layout.b3, output.bias);
    new Uint8Array(this.memory.buffer, this.layout.shuffles, 256).set(packingShuffles());
  }

  /** The head's raw outputs [items, outputs] for one user's half of layer 1 ([units]). */
  outputs(userPart: Float32Array): Float32Array {
    return this.runOn(userPart, this.layout.itemPart, this.items);
  }

  /** The raw outputs [rows, outputs] of the item rows `rows` only, in their order. */
  outputsOfRows(userPart: Float32Array, rows: Int32Array): Float32Array {
    const units = this.firstUnits;
    // Rows are copied inside the kernel's memory (copyWithin: no view made per row).
    const memory = new Float32Array(this.memory.buffer);
    const itemPartAt = this.layout.itemPart / 4;
    const gatheredAt = this.layout.gathered / 4;
    const out = new Float32Array(rows.length * this.outputCount);
    // The gathered area holds `items` rows: a longer list runs in parts.
    for (let start = 0; start < rows.length; start += this.items) {
      const count = Math.min(this.items, rows.length - start);
      for (let n = 0; n < count; n++) {
        const row = rows[start + n]!;
        if (!Number.isInteger(row) || row < 0 || row >= this.items) throw new InvariantError(`KernelHeadTail: item row ${row} is outside 0..${this.items - 1}`);
        memory.copyWithin(gatheredAt + n * units, itemPartAt + row * units, itemPartAt + (row + 1) * units);
      }
      out.set(this.runOn(userPart, this.layout.gathered, count), start * this.outputCount);
    }
    return out;
  }

  /** Runs the kernel over `count` rows of layer 1's item half at `itemPartAt`; a copy of the outputs. */
  private runOn(userPart: Float32Array, itemPartAt: number, count: number): Float32Array {
    const { layout } = this;
    new Float32Array(this.memory.buffer, layout.userPart, this.firstUnits).set(userPart);
    this.run(
      count,
      this.firstUnits,
      this.hiddenUnits,
      this.outputCount,
      itemPartAt,
      layout.userPart,
      layout.w2,
      layout.b2,
      layout.w3t,
      layout.b3,
      layout.out,
      layout.packedRows,
      layout.packedValues,
      layout.h2,
      layout.shuffles,
    );
    return new Float32Array(this.memory.buffer, layout.out, count * this.outputCount).slice();
  }

  /** Nothing to free by hand: the instance and its memory go with this object. */
  dispose(): void {}
}
