/** The embedded driver's COPY data: one shared buffer, always exactly the statement's bytes. */
import { PgliteCopySource } from '../../src/db/pglite-copy-source';

const bytesOf = (buffer: ArrayBuffer) => Buffer.from(new Uint8Array(buffer)).toString();

describe('PgliteCopySource', () => {
  it('hands PGlite exactly the data, in one buffer reused across statements', async () => {
    const source = new PgliteCopySource();
    const long = await source.blobOf(Buffer.from('1\tlong row\n2\tlong row\n')).arrayBuffer();
    expect(bytesOf(long)).toBe('1\tlong row\n2\tlong row\n');
    const short = await source.blobOf(Buffer.from('3\tx\n')).arrayBuffer();
    expect(short).toBe(long);
    expect(short.byteLength).toBe(4);
    expect(bytesOf(short)).toBe('3\tx\n');
  });

  it('grows for larger data and encodes text as UTF-8', async () => {
    const source = new PgliteCopySource();
    const small = await source.blobOf('a\n').arrayBuffer();
    const big = await source.blobOf(`${'é'.repeat(1000)}\n`).arrayBuffer();
    expect(big.byteLength).toBe(2001);
    expect(bytesOf(big)).toBe(`${'é'.repeat(1000)}\n`);
    expect(big).not.toBe(small);
  });

  it('copies the bytes when PGlite asks, not before', async () => {
    const source = new PgliteCopySource();
    const data = Buffer.from('1\tbefore\n');
    const blob = source.blobOf(data);
    data.write('1\tafter!\n');
    expect(bytesOf(await blob.arrayBuffer())).toBe('1\tafter!\n');
  });
});
