import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from './atomic';

/**
 * A bundle of named typed arrays plus a JSON record, in one self-checking binary file: used for
 * checkpoints (tables, optimiser state, counters and RNG state together, so a crash can never pair
 * new tables with old counters) and saved models.
 *
 * Layout: 8-byte magic `MMKGEBN2`, uint32 header length, header JSON
 * `{"arrays": [{name, dtype, length}], "meta": {...}}`, zero padding to 8 bytes, the arrays
 * (little-endian, each padded to 8 bytes), then the SHA-256 of every byte before it. The digest
 * is checked before anything is parsed: a truncated, torn or bit-flipped file is one error
 * naming the file, never silently different numbers.
 */
export type ArrayBundle = Record<string, Float32Array | Int32Array | Uint32Array | Float64Array>;

const MAGIC = 'MMKGEBN2';
const OLD_MAGIC = 'MMKGEBIN';
const DIGEST = 32;
const CTORS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, float64: Float64Array } as const;
type DType = keyof typeof CTORS;

function dtypeOf(a: ArrayBundle[string]): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  return 'float64';
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Write arrays (and an optional JSON-serialisable record) atomically as one checksummed file. */
export function writeBundle(file: string, arrays: ArrayBundle, meta: unknown = {}): void {
  const entries = Object.entries(arrays).map(([name, a]) => ({ name, dtype: dtypeOf(a), length: a.length }));
  const header = Buffer.from(JSON.stringify({ arrays: entries, meta }), 'utf8');
  const dataStart = pad8(12 + header.length);
  let size = dataStart;
  for (const a of Object.values(arrays)) size += pad8(a.byteLength);
  const buf = Buffer.alloc(size + DIGEST);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(header.length, 8);
  header.copy(buf, 12);
  let pos = dataStart;
  for (const a of Object.values(arrays)) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, pos);
    pos += pad8(a.byteLength);
  }
  createHash('sha256').update(buf.subarray(0, size)).digest().copy(buf, size);
  writeFileAtomic(file, buf);
}

/** Read the arrays of a bundle written by writeBundle; errors name the file. */
export function readBundle(file: string): ArrayBundle {
  return readBundleWithMeta(file).arrays;
}

/** Read arrays and the JSON record of a bundle; any damage is one error naming the file. */
export function readBundleWithMeta(file: string): { arrays: ArrayBundle; meta: Record<string, unknown> } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return decodeBundle(buf, file);
}

/** Decode the bytes of a bundle (see {@link readBundleWithMeta}); `file` names the source in errors. */
export function decodeBundle(buf: Buffer, file: string): { arrays: ArrayBundle; meta: Record<string, unknown> } {
  const damaged = (why: string): never => {
    throw new Error(`${file}: damaged mmkge bundle (${why}); it cannot be used`);
  };
  if (buf.length >= 8 && buf.toString('latin1', 0, 8) === OLD_MAGIC) {
    throw new Error(`${file}: written by an older mmkge without a checksum; train the run again`);
  }
  if (buf.length < 12 + DIGEST || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file}: not an mmkge array bundle`);
  const size = buf.length - DIGEST;
  const digest = createHash('sha256').update(buf.subarray(0, size)).digest();
  if (!digest.equals(buf.subarray(size))) damaged('checksum mismatch: truncated, torn or altered');
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > size) damaged('header longer than the file');
  let header: { arrays?: unknown; meta?: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as typeof header;
  } catch (err) {
    return damaged(`header is not JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.arrays)) return damaged('header has no array list');
  const meta = header.meta;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return damaged('header has no meta record');
  let pos = pad8(12 + headerLength);
  const arrays: ArrayBundle = Object.create(null);
  for (const e of header.arrays as { name?: unknown; dtype?: unknown; length?: unknown }[]) {
    if (typeof e?.name !== 'string' || typeof e.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(CTORS, e.dtype)
      || !Number.isSafeInteger(e.length) || (e.length as number) < 0) {
      return damaged(`bad array entry ${JSON.stringify(e)}`);
    }
    const Ctor = CTORS[e.dtype as DType];
    const bytes = (e.length as number) * Ctor.BYTES_PER_ELEMENT;
    if (pos + bytes > size) damaged(`array '${e.name}' runs past the end`);
    const copy = new Ctor(e.length as number);
    Buffer.from(copy.buffer).set(buf.subarray(pos, pos + bytes));
    arrays[e.name] = copy;
    pos += pad8(bytes);
  }
  return { arrays, meta: meta as Record<string, unknown> };
}
