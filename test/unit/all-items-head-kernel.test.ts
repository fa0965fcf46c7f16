import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/models/backend';
import { HeadTail, makeItemTail, type HeadTailSpec } from '../../src/models/all-items-head';
import { KERNEL_WASM, KernelHeadTail, kernelFits } from '../../src/models/all-items-head-kernel';
import { assemble, KERNELS_DIR } from '../../src/models/kernels/build';
import { mulberry32 } from '../../src/trainer/random';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** A tail with random weights; item parts centred near zero so ReLU zeroes a good share. */
function randomSpec(items: number, firstUnits: number, hiddenUnits: number, outputs: number, seed: number): HeadTailSpec {
  const random = mulberry32(seed);
  const values = (count: number, scale: number) => Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale);
  return {
    items,
    itemPart: values(items * firstUnits, 1),
    firstRelu: true,
    rest: [
      { inputs: firstUnits, units: hiddenUnits, weights: values(firstUnits * hiddenUnits, 0.5), bias: values(hiddenUnits, 0.2), relu: true },
      { inputs: hiddenUnits, units: outputs, weights: values(hiddenUnits * outputs, 0.5), bias: values(outputs, 0.2), relu: false },
    ],
  };
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!) / Math.max(1, Math.abs(b[k]!)));
  return worst;
}

describe('KernelHeadTail', () => {
  it.each([
    [1, 4, 32, 1],
    [37, 64, 64, 1],
    [200, 64, 64, 10],
    [50, 12, 128, 3],
    [64, 8, 16, 1],
    [9, 4, 48, 2],
    [300, 128, 32, 1],
  ])('%i items, %i x %i x %i: the same outputs as the tfjs tail', (items, firstUnits, hiddenUnits, outputs) => {
    const spec = randomSpec(items, firstUnits, hiddenUnits, outputs, items + firstUnits);
    const kernel = new KernelHeadTail(spec);
    const reference = new HeadTail(spec);
    const random = mulberry32(firstUnits);
    for (let user = 0; user < 3; user++) {
      const userPart = Float32Array.from({ length: firstUnits }, () => random() * 2 - 1);
      // Not degenerate: ReLU zeroes part of layer 1, and part of it stays.
      let zeros = 0;
      for (let k = 0; k < spec.itemPart.length; k++) if (spec.itemPart[k]! + userPart[k % firstUnits]! <= 0) zeros++;
      if (items * firstUnits >= 64) expect(zeros / spec.itemPart.length).toBeGreaterThan(0.2);
      expect(zeros).toBeLessThan(spec.itemPart.length);
      const expected = reference.outputs(userPart);
      const got = kernel.outputs(userPart);
      expect(got.length).toBe(items * outputs);
      expect(maxRelativeDifference(got, expected)).toBeLessThan(1e-5);
    }
    reference.dispose();
  });

  it('a user part with every layer-1 unit at zero gives the bias path alone', () => {
    const spec = randomSpec(5, 8, 32, 2, 3);
    const userPart = new Float32Array(8).fill(-100);
    expect(maxRelativeDifference(new KernelHeadTail(spec).outputs(userPart), new HeadTail(spec).outputs(userPart))).toBeLessThan(1e-6);
  });

  it('takes only the shapes it computes; makeItemTail falls back to tfjs for the rest', () => {
    const fits = randomSpec(10, 8, 32, 1, 1);
    expect(kernelFits(fits)).toBe(true);
    expect(makeItemTail(fits)).toBeInstanceOf(KernelHeadTail);
    const [hidden, output] = fits.rest;
    const misfits: HeadTailSpec[] = [
      { ...fits, firstRelu: false },
      { ...fits, rest: [output!] }, // deep: no hidden layer after the first
      { ...fits, rest: [{ ...hidden!, relu: false }, output!] },
      { ...fits, rest: [hidden!, { ...output!, relu: true }] },
      randomSpec(10, 8, 40, 1, 2), // hidden width not a multiple of 16
      randomSpec(10, 6, 32, 1, 2), // layer-1 width not a multiple of 4
    ];
    for (const spec of misfits) {
      expect(kernelFits(spec)).toBe(false);
      expect(makeItemTail(spec)).toBeInstanceOf(HeadTail);
      expect(() => new KernelHeadTail(spec)).toThrow(/tfjs tail/);
    }
  });

  it('the committed head-tail.wasm is what head-tail.wat assembles to (else: npm run build:kernels)', async () => {
    expect(Buffer.from(await assemble(join(KERNELS_DIR, 'head-tail.wat'))).equals(readFileSync(KERNEL_WASM))).toBe(true);
  });
});
