import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';

/**
 * A bundle of named typed arrays in one binary file: a JSON header (names, dtypes, lengths)
 * followed by the raw little-endian data. Used for checkpoints and saved models.
 * Layout: 8-byte magic `MMKGEBIN`, uint32 header length, header JSON, padding to 8 bytes, arrays.
 */
export type ArrayBundle = Record<string, Float32Array | Int32Array | Uint32Array | Float64Array>;

const MAGIC = 'MMKGEBIN';
const CTORS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, float64: Float64Array } as const;
type DType = keyof typeof CTORS;

function dtypeOf(a: ArrayBundle[string]): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  return 'float64';
}

/** Write the bundle atomically. */
export function writeBundle(file: string, arrays: ArrayBundle): void {
  const entries = Object.entries(arrays).map(([name, a]) => ({ name, dtype: dtypeOf(a), length: a.length }));
  const header = Buffer.from(JSON.stringify(entries), 'utf8');
  let offset = 8 + 4 + header.length;
  offset = Math.ceil(offset / 8) * 8;
  const dataStart = offset;
  for (const [, a] of Object.entries(arrays)) offset += Math.ceil(a.byteLength / 8) * 8;
  const buf = Buffer.alloc(offset);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(header.length, 8);
  header.copy(buf, 12);
  let pos = dataStart;
  for (const a of Object.values(arrays)) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, pos);
    pos += Math.ceil(a.byteLength / 8) * 8;
  }
  writeFileAtomic(file, buf);
}

/** Read a bundle written by writeBundle; errors name the file. */
export function readBundle(file: string): ArrayBundle {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file}: not an mmkge array bundle`);
  const headerLength = buf.readUInt32LE(8);
  const entries = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as { name: string; dtype: DType; length: number }[];
  let pos = Math.ceil((12 + headerLength) / 8) * 8;
  const out: ArrayBundle = {};
  for (const e of entries) {
    const Ctor = CTORS[e.dtype];
    const bytes = e.length * Ctor.BYTES_PER_ELEMENT;
    if (pos + bytes > buf.length) throw new Error(`${file}: truncated (array '${e.name}')`);
    const copy = new Ctor(e.length);
    Buffer.from(copy.buffer).set(buf.subarray(pos, pos + bytes));
    out[e.name] = copy;
    pos += Math.ceil(bytes / 8) * 8;
  }
  return out;
}
