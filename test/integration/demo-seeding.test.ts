/**
 * Servers started together on one empty database seed the demo data once: the others wait for
 * it and find it there (on PostgreSQL two loads at once used to collide and one server exited).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEMO_FILES, seedDemoDataIfEmpty } from '../../src/ingest/demo';
import { silentProgress } from '../../src/progress';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, tempDir, type TempDir } from '../helpers/data-slices';
import { describeEachDriver, type TestDatabase } from '../helpers/databases';

const RATING_ROWS = 3000;

describeEachDriver('demo data seeded at first start', (driver) => {
  let test: TestDatabase;
  let demo: TempDir;

  beforeAll(async () => {
    test = await driver.open();
    demo = tempDir('animerec-demo-');
    copyFileSync(SHIPPED_ANIME, join(demo.path, DEMO_FILES.anime));
    demo.write(DEMO_FILES.ratings, gzipSync(headLines(SHIPPED_RATINGS, RATING_ROWS)));
  });
  afterAll(async () => {
    await test?.dispose();
    demo?.remove();
  });

  it('three seeders at once: one loads, the others wait and find the data, and nothing is loaded twice', async () => {
    const reports = await Promise.all([1, 2, 3].map(() => seedDemoDataIfEmpty(test.db, demo.path, silentProgress)));
    expect(reports.filter((report) => report !== null)).toHaveLength(1);
    const { rows } = await test.db.query<{ anime: number; ratings: number }>(
      'SELECT (SELECT count(*)::int FROM anime) AS anime, (SELECT count(*)::int FROM rating) + (SELECT count(*)::int FROM watched) AS ratings',
    );
    expect(rows[0]!.anime).toBe(12294);
    expect(rows[0]!.ratings).toBeGreaterThan(0);
    expect(rows[0]!.ratings).toBeLessThanOrEqual(RATING_ROWS);
    expect(await seedDemoDataIfEmpty(test.db, demo.path, silentProgress)).toBeNull();
  });
});
