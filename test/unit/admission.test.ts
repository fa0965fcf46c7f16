/** Admission by estimated cost: what runs at once, who waits, and who is refused. */
import { CostAdmission } from '../../src/graphql/admission';
import { ServerBusyError } from '../../src/errors';

/** Resolves with whether `promise` settled within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

it('lets light requests run together while their costs fit the capacity', async () => {
  const admission = new CostAdmission({ capacity: 100, maxWaitMs: 1000 });
  const releases = await Promise.all([admission.admit(30), admission.admit(30), admission.admit(40)]);
  // Full: the next one, however light, waits for room.
  const next = admission.admit(1);
  expect(await settlesWithin(next, 50)).toBe(false);
  releases[0]!();
  expect(await settlesWithin(next, 50)).toBe(true);
  releases.slice(1).forEach((release) => release());
  (await next)();
});

it('runs a request of the whole capacity alone, and one over it (cost is capped) alone too', async () => {
  const admission = new CostAdmission({ capacity: 100, maxWaitMs: 1000 });
  const first = await admission.admit(100);
  const over = admission.admit(250);
  expect(await settlesWithin(over, 50)).toBe(false);
  first();
  const second = await over;
  expect(await settlesWithin(admission.admit(1), 50)).toBe(false);
  second();
});

it('serves waiters first come, first served: a light one does not overtake a heavy one', async () => {
  const admission = new CostAdmission({ capacity: 100, maxWaitMs: 1000 });
  const order: string[] = [];
  const running = await admission.admit(60);
  const heavy = admission.admit(80).then((release) => (order.push('heavy'), release));
  const light = admission.admit(10).then((release) => (order.push('light'), release));
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(order).toEqual([]); // 60 + 10 would fit, but the heavy one came first
  running();
  (await heavy)();
  (await light)();
  expect(order).toEqual(['heavy', 'light']);
});

it('refuses a request that waited its longest with ServerBusyError (SERVICE_UNAVAILABLE), and its wait takes no room', async () => {
  const admission = new CostAdmission({ capacity: 100, maxWaitMs: 80 });
  const running = await admission.admit(100);
  const started = Date.now();
  const refused = await admission.admit(50).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ServerBusyError);
  expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1, message: expect.stringContaining('within 80 ms') });
  expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  running();
  // The whole capacity is free again.
  (await admission.admit(100))();
});

it('lets lighter requests in when a heavy one at the front of the line gives up, and ignores a second release', async () => {
  const admission = new CostAdmission({ capacity: 100, maxWaitMs: 60 });
  const running = await admission.admit(50);
  const heavy = admission.admit(100).catch((error: unknown) => error);
  const light = admission.admit(40);
  expect(await settlesWithin(light, 30)).toBe(false); // behind the heavy one, though it fits
  expect(await heavy).toBeInstanceOf(ServerBusyError);
  const lightRelease = await light; // admitted as soon as the heavy one left the line
  lightRelease();
  lightRelease(); // a second call must not free room twice
  // 50 running: 51 more do not fit, 50 do.
  expect(await settlesWithin(admission.admit(51).then((release) => release()), 20)).toBe(false);
  running();
});
