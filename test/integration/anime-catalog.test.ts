/** The in-memory catalog re-reads the database only when ingestion changed it. */
import { kaggleFormat } from '../../src/ingest/formats/kaggle';
import { ingest } from '../../src/ingest/ingest';
import { AnimeCatalog } from '../../src/recsys/anime-catalog';
import { describeEachDriver, useDatabaseWithFiles } from '../helpers/databases';

const HEADER = 'anime_id,name,genre,type,episodes,rating,members\r\n';

describeEachDriver('anime catalog', (driver) => {
  const env = useDatabaseWithFiles(driver);

  it('skips the re-read while nothing changed, and shows an ingested change at the next refresh', async () => {
    const first = env.files.write('anime1.csv', `${HEADER}1,Cowboy Bebop,"Action, Sci-Fi",TV,26,8.82,486824\r\n5,Trigun,Action,TV,26,8.02,180000\r\n`);
    await ingest(env.test.db, { format: kaggleFormat, animePath: first });
    const catalog = new AnimeCatalog(env.test.db);
    await catalog.load();
    expect((await catalog.find([1, 5])).map((anime) => anime?.name)).toEqual(['Cowboy Bebop', 'Trigun']);
    expect(await catalog.refresh()).toBe(false);

    // A renamed title and a new one: the same row count for the rename alone would not do.
    const second = env.files.write('anime2.csv', `${HEADER}1,Cowboy Bebop (TV),"Action, Sci-Fi",TV,26,8.82,486900\r\n`);
    await ingest(env.test.db, { format: kaggleFormat, animePath: second });
    expect(await catalog.refresh()).toBe(true);
    expect((await catalog.find([1]))[0]?.name).toBe('Cowboy Bebop (TV)');
    expect(await catalog.refresh()).toBe(false);

    await env.test.db.query('DELETE FROM anime WHERE id = 5');
    expect(await catalog.refresh()).toBe(true);
    expect(await catalog.find([5])).toEqual([null]);
  });
});
