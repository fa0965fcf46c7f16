/**
 * npm run bench:scoring [-- --users 300 --reps 3]
 *
 * The per-request head pass of `recommendations` on the CPU: one user's scores for every item
 * through the head tail, as the hand-written WebAssembly kernel (all-items-head-kernel.ts) against
 * the same tail in tfjs ops on the wasm backend (XNNPACK), measured in the same run, and the
 * served ItemScorer around the kernel. The model is the trained hybrid in bench:api's cache
 * (.data/bench-api, copied first) when it is there — the kernel's gain depends on how many
 * layer-1 units ReLU zeroes, which a trained model decides — else a random model of the same
 * shape (and the output says so). Every kernel result is checked against tfjs in the loop.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openPGliteHere } from '../src/db/embedded';
import { embeddedDir } from '../src/db/open';
import { selectBackend } from '../src/models/backend';
import { HeadTail } from '../src/models/all-items-head';
import { KernelHeadTail, kernelFits } from '../src/models/all-items-head-kernel';
import { headTailSpec, ItemScorer, userHalfOfLayer1 } from '../src/models/all-items-scorer';
import type { Model } from '../src/models/model';
import { loadRatingModel } from '../src/versions/rating-model';
import { randomModel } from '../test/helpers/random-model';
import { copyForRun, readCachedModel } from './api-server';
import { onCleanUp, runBenchmark } from './lifecycle';
import { describeMachine } from './machine';
import { projectPath } from '../src/paths';
import { median } from './stats';

const CACHE = projectPath('.data', 'bench-api');
const DEMO_ITEMS = 7157;
const TOLERANCE = 1e-4;

async function loadModel(): Promise<{ model: Model; source: string }> {
  const cached = readCachedModel(CACHE);
  if (cached) {
    const copy = copyForRun(CACHE); // bench:api's own cache layout and copy
    onCleanUp(() => rmSync(copy, { recursive: true, force: true }));
    const db = await openPGliteHere(embeddedDir(copy));
    try {
      // A retrieval version's head is its re-ranker's rating model (a hybrid).
      return { model: await loadRatingModel(db, cached.modelVersionId), source: `trained hybrid (the rating model of model version ${cached.modelVersionId}, ${cached.kind}) of ${CACHE}` };
    } finally {
      await db.close();
    }
  }
  const model = randomModel('hybrid', { users: 300, items: DEMO_ITEMS });
  return { model, source: `random hybrid of the default shape, ${DEMO_ITEMS} items (no trained model in ${CACHE}: run npm run bench:api once for one)` };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string', default: '300' }, reps: { type: 'string', default: '3' } } });
  const users = Number(values.users);
  const reps = Number(values.reps);
  await selectBackend('wasm');
  const { model, source } = await loadModel();
  const spec = headTailSpec(model);
  if (!kernelFits(spec)) throw new Error('this model head does not fit the kernel');
  const dim = model.hyper.embeddingDim;
  const parts = Array.from({ length: users }, (_, k) => {
    const row = Math.floor((k * model.userIds.length) / users);
    return { row, part: userHalfOfLayer1(model, model.userEmbeddings.subarray(row * dim, (row + 1) * dim)) };
  });
  const firstUnits = spec.itemPart.length / spec.items;
  let zeros = 0;
  for (const { part } of parts) for (let k = 0; k < spec.itemPart.length; k++) if (spec.itemPart[k]! + part[k % firstUnits]! <= 0) zeros++;

  const tfjsTail = new HeadTail(spec);
  const kernel = new KernelHeadTail(spec);
  const scorer = new ItemScorer(model);
  const timings = { tfjs: [] as number[], kernel: [] as number[], scorer: [] as number[] };
  let worst = 0;
  for (let rep = 0; rep <= reps; rep++) {
    // rep 0 warms up (and checks); the others are timed.
    for (const [name, run] of [
      ['tfjs', (p: (typeof parts)[0]) => tfjsTail.outputs(p.part)],
      ['kernel', (p: (typeof parts)[0]) => kernel.outputs(p.part)],
      ['scorer', (p: (typeof parts)[0]) => scorer.score(model.userEmbeddings.subarray(p.row * dim, (p.row + 1) * dim), model.userBias[p.row]!)],
    ] as const) {
      const started = performance.now();
      for (const p of parts) run(p);
      if (rep > 0) timings[name].push((performance.now() - started) / users);
    }
    for (const p of parts.slice(0, 20)) {
      const expected = tfjsTail.outputs(p.part);
      const got = kernel.outputs(p.part);
      for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k]! - expected[k]!));
    }
    if (!(worst <= TOLERANCE)) throw new Error(`the kernel's outputs differ from tfjs by ${worst}`);
  }
  tfjsTail.dispose();
  scorer.release();

  const tfjsMs = median(timings.tfjs);
  const kernelMs = median(timings.kernel);
  console.log(describeMachine());
  console.log(`Model: ${source}; ${spec.items} items, head tail ${firstUnits} → ${spec.rest.map((layer) => layer.units).join(' → ')}.`);
  console.log(`Layer-1 activations at zero after ReLU: ${((100 * zeros) / (users * spec.itemPart.length)).toFixed(1)}% (over ${users} users).`);
  console.log(`${users} users × ${reps} timed passes; per user, median pass; kernel vs tfjs max |difference| ${worst.toExponential(1)}.\n`);
  console.log('| Head pass, one user × every item | ms per user | vs tfjs-wasm |');
  console.log('|---|---:|---:|');
  console.log(`| tfjs ops on wasm (XNNPACK), baseline | ${tfjsMs.toFixed(3)} | 1.00x |`);
  console.log(`| WebAssembly kernel (head-tail.wat) | ${kernelMs.toFixed(3)} | **${(tfjsMs / kernelMs).toFixed(2)}x** |`);
  console.log(`| served ItemScorer.score (kernel + biases and clipping) | ${median(timings.scorer).toFixed(3)} | ${(tfjsMs / median(timings.scorer)).toFixed(2)}x |`);
  console.log(`\nAll passes (ms per user): tfjs ${timings.tfjs.map((t) => t.toFixed(3)).join(', ')}; kernel ${timings.kernel.map((t) => t.toFixed(3)).join(', ')}.`);
}

runBenchmark(main);
