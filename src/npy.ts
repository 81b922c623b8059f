import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { oneLine, writeFileAtomic } from './atomic';

/**
 * NumPy .npy files (format versions 1.0-3.0), the interchange format of the Python toolkits
 * (OTKGE ships its modality features as float64 .npy). Reads little-endian float32/float64
 * C-order matrices (big-endian too); writes float32 (or float64 via {@link encodeNpy}). A file
 * name ending in `.gz` is gzipped on write and gunzipped on read.
 */
export interface NpyMatrix {
  data: Float32Array;
  shape: number[];
}

/** Write a float32 C-order array as .npy (version 1.0), atomically; gzipped when `file` ends in `.gz`. */
export function writeNpy(file: string, data: Float32Array, shape: number[]): void {
  const bytes = encodeNpy(data, shape, file);
  writeFileAtomic(file, file.endsWith('.gz') ? zlib.gzipSync(bytes, { level: 9 }) : bytes);
}

/**
 * The bytes of a .npy file (version 1.0, C order) holding `data` with `shape`: dtype `<f4` for a
 * Float32Array, `<f8` for a Float64Array. `what` names the target in errors.
 */
export function encodeNpy(data: Float32Array | Float64Array, shape: number[], what = 'encodeNpy'): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeNpy ${what}: shape [${shape}] needs ${count} values, got ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const descr = data instanceof Float64Array ? '<f8' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/**
 * Read a float32 or float64 .npy matrix into float32; errors name the file and the problem.
 * Without `bytes`, the file is read (and gunzipped when its name ends in `.gz`).
 */
export function readNpy(file: string, bytes?: Buffer): NpyMatrix {
  let buf: Buffer;
  try {
    buf = bytes ?? fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (bytes === undefined && file.endsWith('.gz')) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (err) {
      throw new Error(`${file}: corrupt gzip data (${(err as Error).message})`);
    }
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new Error(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  if (major > 1 && buf.length < 12) throw new Error(`${file}: truncated .npy header`);
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLength > buf.length) throw new Error(`${file}: truncated: the .npy header claims ${headerLength} bytes, the file has ${buf.length - headerStart} after the preamble`);
  const header = buf.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  // A header length that does not end at the dict's closing brace means a damaged preamble.
  if (!/^\{[^{}]*\}[ \n]*$/.test(header)) throw new Error(`${file}: damaged .npy header (not one dict literal of ${headerLength} bytes): ${oneLine(header.trim().slice(0, 120))}`);
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${file}: unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${file}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${file}: bad shape (${shapeText}) in the .npy header`);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLength;
  // Check the declared size against the bytes present before allocating anything for it.
  const itemBytes = /^[<>|]f4$/.test(descr) ? 4 : /^[<>|]f8$/.test(descr) ? 8 : 0;
  if (itemBytes === 0) throw new Error(`${file}: unsupported dtype '${descr}' (expected float32 '<f4' or float64 '<f8')`);
  // Exactly: extra bytes mean the header (shape, header length) does not describe the data.
  if (!Number.isSafeInteger(count * itemBytes) || count * itemBytes !== buf.length - start) {
    throw new Error(`${file}: ${count * itemBytes > buf.length - start ? 'truncated' : 'size mismatch'}: shape (${shape.join(', ')}) needs ${count * itemBytes} data bytes, the file has ${buf.length - start} after the header`);
  }
  const data = new Float32Array(count);
  if (descr === '<f4' || descr === '|f4') {
    if (buf.length - start < count * 4) throw new Error(`${file}: truncated: expected ${count} float32 values`);
    Buffer.from(data.buffer).set(buf.subarray(start, start + count * 4));
  } else if (descr === '>f4') {
    if (buf.length - start < count * 4) throw new Error(`${file}: truncated: expected ${count} float32 values`);
    for (let i = 0; i < count; i++) data[i] = buf.readFloatBE(start + 4 * i);
  } else if (descr === '<f8') {
    if (buf.length - start < count * 8) throw new Error(`${file}: truncated: expected ${count} float64 values`);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(start + 8 * i);
  } else if (descr === '>f8') {
    if (buf.length - start < count * 8) throw new Error(`${file}: truncated: expected ${count} float64 values`);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleBE(start + 8 * i);
  } else {
    throw new Error(`${file}: unsupported dtype '${descr}' (expected float32 '<f4' or float64 '<f8')`);
  }
  return { data, shape };
}
