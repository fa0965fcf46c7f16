/**
 * The byte layout of the model blobs stored in model_version (the head, the re-ranker): a
 * 4-byte little-endian length, a JSON header, then 32-bit arrays back to back, each 4-byte
 * aligned. The header lists the arrays' lengths (`arrays`), so a reader knows where each is.
 */

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

export type PackedArray = Float32Array | Int32Array;

/** Packs a JSON header and arrays; `header.arrays` is set to the arrays' lengths. */
export function packArrays(header: object, arrays: readonly PackedArray[]): Uint8Array {
  const json = Buffer.from(JSON.stringify({ ...header, arrays: arrays.map((array) => array.length) }), 'utf8');
  const headerBytes = 4 + Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(headerBytes + arrays.reduce((sum, array) => sum + array.length * 4, 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let offset = headerBytes;
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return out;
}

/**
 * The header and the arrays' bytes, each copied into its own aligned buffer (the bytes may come
 * from anywhere, e.g. a Buffer pool). Read each as the type its header says.
 * @throws ModelFormatError when the bytes are truncated, the header unreadable or of another format.
 */
export function unpackArrays<Header extends { format: string; arrays: number[] }>(bytes: Uint8Array, format: string, what: string): { header: Header; buffers: ArrayBuffer[] } {
  if (bytes.length < 4) throw new ModelFormatError(`${what} is truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(0, true);
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(4, 4 + jsonLength)).toString('utf8')) as Header;
  } catch {
    throw new ModelFormatError(`${what} has an unreadable header`);
  }
  if (header.format !== format) throw new ModelFormatError(`unknown ${what} format ${JSON.stringify(header.format)}`);
  let offset = 4 + Math.ceil(jsonLength / 4) * 4;
  const buffers = header.arrays.map((length) => {
    if (offset + length * 4 > bytes.length) throw new ModelFormatError(`${what} is truncated`);
    const buffer = new ArrayBuffer(length * 4);
    new Uint8Array(buffer).set(bytes.subarray(offset, offset + length * 4));
    offset += length * 4;
    return buffer;
  });
  return { header, buffers };
}
