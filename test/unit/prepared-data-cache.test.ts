import { PreparedDataCache, preparationKey } from '../../src/trainer/prepared-data-cache';
import { syntheticRatings } from '../helpers/training-data';

describe('prepared data shared by training runs on unchanged data', () => {
  it('the key changes with any rating, any watched pair, item metadata and the options', () => {
    const dataset = syntheticRatings({ users: 20, items: 15, seed: 3 });
    const options = { seed: 1, rankingUsers: 100 };
    const key = preparationKey(dataset, options);
    expect(preparationKey(syntheticRatings({ users: 20, items: 15, seed: 3 }), { ...options })).toBe(key);
    const ratings = dataset.ratings.slice();
    ratings[7] = ratings[7] === 10 ? 9 : ratings[7]! + 1;
    expect(preparationKey({ ...dataset, ratings }, options)).not.toBe(key);
    expect(preparationKey({ ...dataset, watched: { users: Int32Array.of(0), items: Int32Array.of(1) } }, options)).not.toBe(key);
    expect(preparationKey({ ...dataset, itemMetadata: dataset.itemMetadata.slice(1) }, options)).not.toBe(key);
    expect(preparationKey(dataset, { ...options, seed: 2 })).not.toBe(key);
  });

  it('prepares once per key, again for another key, and not at all from a failed preparation', async () => {
    const cache = new PreparedDataCache<number>();
    let prepared = 0;
    const prepare = async () => ++prepared;
    expect(await cache.get('a', prepare)).toBe(1);
    expect(await cache.get('a', prepare)).toBe(1);
    expect(await cache.get('b', prepare)).toBe(2);
    expect(await cache.get('a', prepare)).toBe(3);
    await expect(cache.get('c', () => Promise.reject(new Error('no data')))).rejects.toThrow('no data');
    expect(await cache.get('c', prepare)).toBe(4);
    cache.clear();
  });

  it('drops an entry unused for its lifetime', async () => {
    const cache = new PreparedDataCache<number>(20);
    let prepared = 0;
    const prepare = async () => ++prepared;
    await cache.get('a', prepare);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await cache.get('a', prepare)).toBe(2);
    cache.clear();
  });
});
