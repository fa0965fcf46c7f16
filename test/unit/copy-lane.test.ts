import { CopyBuffer } from '../../src/ingest/copy-lane';

describe('CopyBuffer', () => {
  it('writes integer rows as COPY text, digit by digit', () => {
    const buffer = new CopyBuffer('t', ['a', 'b', 'c', 'd'], {}, 8);
    const rows: number[][] = [[0, 1], [-1, 10, 2_147_483_647], [123, -45, 6, 7_813_737]];
    for (const [a, b, c, d] of rows) buffer.addIntegers(a!, b!, c, d);
    expect(buffer.take().toString()).toBe('0\t1\n-1\t10\t2147483647\n123\t-45\t6\t7813737\n');
    expect(buffer.rows).toBe(3);
    expect(buffer.isEmpty).toBe(true);
  });

  it('grows for long text rows and starts afresh after take', () => {
    const buffer = new CopyBuffer('t', ['name'], {}, 4);
    const name = 'Kimi no Na wa. 日本'.repeat(50);
    buffer.addText(`${name}\n`);
    buffer.addIntegers(1, 2);
    expect(buffer.length).toBe(Buffer.byteLength(name) + 5);
    expect(buffer.take().toString()).toBe(`${name}\n1\t2\n`);
    buffer.addIntegers(3, 4);
    expect(buffer.take().toString()).toBe('3\t4\n');
  });
});

describe('CopyBuffer buffers taking turns', () => {
  it('reuses a recycled buffer without changing bytes already handed out and not recycled', () => {
    const buffer = new CopyBuffer('t', ['a', 'b'], {}, 64);
    buffer.addIntegers(1, 2);
    const first = buffer.take();
    buffer.addIntegers(3, 4);
    const second = buffer.take();
    // Neither is recycled yet: they are different memory.
    expect([first.toString(), second.toString()]).toEqual(['1\t2\n', '3\t4\n']);
    buffer.recycle();
    buffer.addIntegers(5, 6);
    const third = buffer.take();
    expect(third.toString()).toBe('5\t6\n');
    expect(first.toString()).toBe('1\t2\n');
  });
});
