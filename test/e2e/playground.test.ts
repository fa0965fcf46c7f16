/// <reference lib="dom" />
/**
 * The playground in headless Chromium against a real server with a small trained model: every
 * page as a person uses it, GraphiQL, and not one request leaving localhost. Screenshots of
 * each page go to test-artifacts/e2e/. Needs Debian's chromium (`.ci/run` installs it); without
 * it the tests are reported as skipped, by name.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { selectBackend } from '../../src/models/backend';
import { runTraining, type TrainingReport } from '../../src/trainer/run-training';
import { graphqlData } from '../helpers/graphql';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = resolve(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
const ADMIN = 'e2e-admin-token-0123456789abcdef';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const describeInBrowser = HAVE_CHROMIUM ? describe : describe.skip;
const title = HAVE_CHROMIUM ? 'playground in Chromium' : `playground in Chromium [skipped: no ${CHROMIUM}; apt-get install -y chromium]`;

describeInBrowser(title, () => {
  let slice: SliceServer;
  let url: string;
  let report: TrainingReport;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];
  const timings: Record<string, number> = {};

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const go = async (hash: string) => {
    await page.goto(`${url}/${hash}`);
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]') && !document.querySelector('.loading'), undefined, { timeout: 30_000 });
  };

  // Set up once for all scenarios; afterAll waits for it even when beforeAll gave up on it.
  let setup: Promise<void> | undefined;
  const prepare = async () => {
    const started = Date.now();
    execFileSync(process.execPath, ['-r', '@swc-node/register', 'web/build.ts'], { cwd: ROOT, stdio: 'pipe' });
    timings.build = Date.now() - started;
    await selectBackend('wasm');
    slice = await startSliceServer({ ratingRows: 6000, env: { ADMIN_TOKEN: ADMIN } });
    url = slice.server.url;
    report = await runTraining(slice.server.db, { kind: 'mf', preset: 'default', overrides: { embeddingDim: 16, epochs: 4 }, activate: 'always', map: 'umap', rankingUsers: 50 });
    await slice.server.models.refresh();
    timings.server = Date.now() - started - timings.build;

    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'animerec-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, viewport: { width: 1280, height: 900 } });
    // Every request of the page and its workers; anything not on this server is refused.
    await context.route('**/*', (route) => {
      const target = route.request().url();
      requested.push(target);
      return target.startsWith(url) || target.startsWith('data:') || target.startsWith('blob:') ? route.continue() : route.abort();
    });
    context.on('request', (request) => requested.push(request.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A blocked script, style, font or worker shows up only as a console error.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    timings.browser = Date.now() - started - timings.build - timings.server;
  };

  beforeAll(() => (setup = prepare()), 600_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await slice?.close();
    console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 600_000);

  const timed = (name: string, body: () => Promise<void>) => async () => {
    const started = Date.now();
    await body();
    timings[name] = Date.now() - started;
  };

  it('searches, opens an anime and shows its most similar titles, each linking on', timed('explore', async () => {
    const top = (await graphqlData(url, '{ catalogStats { mostRated(k: 1) { anime { id name } } } }')).catalogStats.mostRated[0].anime;
    await go('');
    await shot('explore');
    await page.fill('#search', top.name);
    await page.press('#search', 'Enter');
    // The search's own results, not the popular list shown before it (the same link is there).
    await page.locator('#results caption', { hasText: top.name }).waitFor();
    const link = page.locator(`#results a[href="#/anime/${top.id}"]`);
    await link.waitFor();
    await link.click();
    await page.locator('#similar table.similar tbody tr').first().waitFor().catch(async (error: unknown) => {
      await shot('explore-failure');
      // What the page showed instead (an error box, another page), for a failure seen only in CI's log.
      const shown = await page.locator('#page').innerText().catch(() => '(no #page)');
      throw new Error(`no similar titles at ${page.url()}; the page showed: ${shown.slice(0, 2000)}\n${String(error)}`);
    });
    expect(await page.locator('h1').textContent()).toBe(top.name);
    expect(await page.locator('#similar tbody tr').count()).toBe(10);
    const scores = await page.locator('#similar tbody td.num').allTextContents();
    expect(scores.map(Number)).toEqual([...scores.map(Number)].sort((a, b) => b - a));
    await shot('anime');
    const next = page.locator('#similar tbody a').first();
    const nextName = await next.textContent();
    await next.click();
    await page.waitForFunction((name) => document.querySelector('h1')?.textContent === name, nextName);
  }));

  it('a search submitted while the user opens an anime does not pull them back to Explore', timed('race', async () => {
    const top = (await graphqlData(url, '{ catalogStats { mostRated(k: 1) { anime { id name } } } }')).catalogStats.mostRated[0].anime;
    await go('');
    await page.fill('#search', top.name);
    // The click's hash change is queued; the search runs before the router sees it.
    await page.evaluate((id) => {
      location.hash = `#/anime/${id}`;
      document.querySelector<HTMLFormElement>('form.search')!.requestSubmit();
    }, top.id);
    await page.waitForFunction((name) => document.querySelector('h1')?.textContent === name, top.name);
    expect(new URL(page.url()).hash).toBe(`#/anime/${top.id}`);
  }));

  it('draws the map with one point per mapped anime; hover names it, click opens it', timed('map', async () => {
    const mapped = (await graphqlData(url, '{ embeddingMap { anime { id } } }')).embeddingMap.length;
    expect(mapped).toBe(report.dataset.items);
    await go('#/map');
    const map = page.locator('#map[data-points]');
    await map.waitFor();
    expect(Number(await map.getAttribute('data-points'))).toBe(mapped);
    expect(await page.locator('#map canvas').count()).toBeGreaterThan(0);
    const probe = JSON.parse((await map.getAttribute('data-probe'))!) as { x: number; y: number; id: number; name: string };
    const box = (await map.boundingBox())!;
    await page.mouse.move(box.x + probe.x, box.y + probe.y);
    await page.waitForFunction((name) => Array.from(document.querySelectorAll('#map div')).some((d) => d.textContent?.includes(name)), probe.name, { timeout: 5000 });
    await shot('map');
    await page.selectOption('#map-colour', 'rating');
    await page.mouse.click(box.x + probe.x, box.y + probe.y);
    await page.waitForURL(`**/#/anime/${probe.id}`);
  }));

  it('creates a user, rates three anime and shows recommendations that change', timed('you', async () => {
    await go('#/you');
    await page.focus('#user-name');
    await page.keyboard.type('Playwright');
    await page.keyboard.press('Enter'); // the form submits from the keyboard
    await page.locator('#sign-out').waitFor();
    await page.locator('#recommendations p.cold').waitFor(); // no rating yet: popular titles, marked not personal
    const top = (await graphqlData(url, '{ catalogStats { mostRated(k: 3) { anime { id name } } } }')).catalogStats.mostRated as { anime: { id: number } }[];
    const lists: string[][] = [];
    for (const [k, { anime }] of top.entries()) {
      await go(`#/anime/${anime.id}`);
      const rating = [10, 9, 2][k]!;
      await page.click(`fieldset.rate button[data-rating="${rating}"]`);
      await page.locator('fieldset.rate button[aria-pressed="true"]').waitFor();
      expect(await page.locator('fieldset.rate button[aria-pressed="true"]').textContent()).toBe(String(rating));
      await page.locator('#anime-recommendations li').first().waitFor();
      // Each entry as shown: the anime, its predicted rating and its reason.
      lists.push(await page.locator('#anime-recommendations li').allTextContents());
      expect(await page.locator('#predicted-rating').textContent()).toMatch(/^\d+\.\d\d$/);
    }
    await shot('rated');
    expect(lists[0]!.length).toBe(5);
    expect(lists[2]).not.toEqual(lists[0]);
    await go('#/you');
    await page.locator('#my-ratings tbody tr').first().waitFor();
    expect(await page.locator('#my-ratings tbody tr').count()).toBe(3);
    expect(await page.locator('#recommendations li').count()).toBe(10);
    expect(await page.locator('#recommendations .because').first().textContent()).toMatch(/^because you rated /);
    await shot('you');
  }));

  it('shows the models: metrics beside baselines, loss curves, predicted vs true', timed('models', async () => {
    await go('#/models');
    await page.locator('#loss-chart canvas').waitFor();
    expect(Number(await page.locator('#loss-chart').getAttribute('data-epochs'))).toBe(report.history.length);
    expect(Number(await page.locator('#predicted-chart').getAttribute('data-points'))).toBe(Math.min(1000, report.dataset.test));
    // The model, its two rating baselines and the three ranking baselines (popularity, item-kNN, EASE).
    expect(await page.locator('#metrics tbody tr').count()).toBe(6);
    expect(await page.locator('#metrics tbody th').allTextContents()).toEqual(expect.arrayContaining(['popularity', expect.stringMatching(/^EASE \(λ \d+\)$/)]));
    expect(await page.locator(`#versions tr[data-version="${report.modelVersionId}"] .badge`).textContent()).toBe('active');
    await shot('models');
  }));

  it('shows the data: counts, the rating histogram with the watched share, popularity', timed('data', async () => {
    const stats = (await graphqlData(url, '{ catalogStats { anime users ratings watched } }')).catalogStats;
    await go('#/data');
    await page.locator('#rating-histogram canvas').waitFor();
    expect(await page.locator('#rating-histogram').getAttribute('data-bars')).toBe('11');
    expect(Number((await page.locator('#count-ratings .value').textContent())!.replace(/,/g, ''))).toBe(stats.ratings);
    expect(Number((await page.locator('#count-watched .value').textContent())!.replace(/,/g, ''))).toBe(stats.watched);
    await page.locator('#ratings-per-anime canvas').waitFor();
    expect(await page.locator('#most-rated tbody tr').count()).toBe(20);
    await shot('data');
  }));

  it('shows an error, not a blank page, for an anime that does not exist', timed('errors', async () => {
    await go('#/anime/424242424');
    expect(await page.locator('[role="alert"]').textContent()).toContain('There is no anime 424242424');
  }));

  it('runs a query in GraphiQL, served from this server', timed('graphiql', async () => {
    await page.goto(`${url}/graphiql`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('"catalogStats"'), undefined, { timeout: 30_000 });
    // The schema arrived by introspection: the documentation explorer lists the root types.
    await page.getByRole('button', { name: /Documentation Explorer/ }).click();
    await page.waitForFunction(() => /mutation:\s*Mutation/.test(document.querySelector('.graphiql-doc-explorer')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await shot('graphiql');
  }));

  it('starts a training run with the admin token and follows it to a new version', timed('train', async () => {
    await go('#/models');
    await page.fill('#admin-token', ADMIN);
    await page.selectOption('#train-kind', 'mf');
    await page.fill('#train-epochs', '1');
    await page.selectOption('#train-map', 'none');
    await page.click('#train-form button[type="submit"]');
    await page.locator('#training-runs li').first().waitFor();
    await page.locator('#training-runs li[data-status="succeeded"]').waitFor({ timeout: 90_000 });
    await page.locator('#versions tbody tr').nth(1).waitFor();
    expect(await page.locator('#versions tbody tr').count()).toBe(2);
  }), 150_000);

  it('made no request outside this server and threw no error', () => {
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((target) => !target.startsWith(url) && !target.startsWith('data:') && !target.startsWith('blob:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
