import { computeMap } from '../../src/trainer/map2d';
import { computeMapInThread } from '../../src/trainer/map-thread';
import { mulberry32 } from '../../src/trainer/random';

function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => random() - 0.5);
}

describe('computeMapInThread', () => {
  it('answers what computeMap answers in this thread, bit for bit, reporting progress up to 1', async () => {
    const vectors = randomVectors(120, 8, 3);
    const reported: number[] = [];
    const inThread = await computeMapInThread(vectors, 120, 8, { method: 'umap', seed: 5, nEpochs: 50, onProgress: (fraction) => reported.push(fraction) });
    const here = await computeMap(vectors, 120, 8, { method: 'umap', seed: 5, nEpochs: 50 });
    expect(Array.from(inThread)).toEqual(Array.from(here));
    expect(reported.length).toBeGreaterThan(1);
    expect(reported.at(-1)).toBe(1);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
  });

  it('keeps the event loop free while the map is computed', async () => {
    // 2,000 points: umap-js's synchronous neighbour search alone takes seconds in one thread.
    const vectors = randomVectors(2000, 16, 4);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    await computeMapInThread(vectors, 2000, 16, { method: 'umap', seed: 1, nEpochs: 20 });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // A blocked loop would tick a handful of times; a free one about every 10 ms.
    expect(ticks).toBeGreaterThan(elapsed / 10 / 4);
  });

  it('rejects with the signal’s reason when aborted, before or during the map', async () => {
    const vectors = randomVectors(2000, 16, 4);
    const early = new AbortController();
    early.abort(new Error('stopped before'));
    await expect(computeMapInThread(vectors, 2000, 16, { method: 'umap', seed: 1, signal: early.signal })).rejects.toThrow('stopped before');
    const during = new AbortController();
    const map = computeMapInThread(vectors, 2000, 16, { method: 'umap', seed: 1, signal: during.signal, onProgress: () => during.abort(new Error('stopped during')) });
    await expect(map).rejects.toThrow('stopped during');
  });

  it('passes the input errors back as the same classes', async () => {
    await expect(computeMapInThread(new Float32Array(10), 3, 4, { method: 'umap', seed: 1 })).rejects.toThrow(RangeError);
    await expect(computeMapInThread(new Float32Array(10), 3, 4, { method: 'umap', seed: 1 })).rejects.toThrow(/expected 3×4 = 12 values/);
  });
});

it('answers a Float32Array of the caller’s own realm (drafts check it with instanceof)', async () => {
  const map = await computeMapInThread(randomVectors(30, 4, 1), 30, 4, { method: 'umap', seed: 1, nEpochs: 5 });
  expect(map instanceof Float32Array).toBe(true);
});
