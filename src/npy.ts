import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';

/**
 * NumPy .npy files (format versions 1.0-3.0), the interchange format of the Python toolkits
 * (OTKGE ships its modality features as float64 .npy). Reads little-endian float32/float64
 * C-order matrices; writes float32.
 */
export interface NpyMatrix {
  data: Float32Array;
  shape: number[];
}

/** Write a float32 C-order array as .npy (version 1.0), atomically. */
export function writeNpy(file: string, data: Float32Array, shape: number[]): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeNpy ${file}: shape [${shape}] needs ${count} values, got ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileAtomic(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

/** Read a float32 or float64 .npy matrix into float32; errors name the file and the problem. */
export function readNpy(file: string, bytes?: Buffer): NpyMatrix {
  let buf: Buffer;
  try {
    buf = bytes ?? fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${file}: unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${file}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLength;
  const data = new Float32Array(count);
  if (descr === '<f4' || descr === '|f4') {
    if (buf.length - start < count * 4) throw new Error(`${file}: truncated: expected ${count} float32 values`);
    Buffer.from(data.buffer).set(buf.subarray(start, start + count * 4));
  } else if (descr === '<f8') {
    if (buf.length - start < count * 8) throw new Error(`${file}: truncated: expected ${count} float64 values`);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(start + 8 * i);
  } else {
    throw new Error(`${file}: unsupported dtype '${descr}' (expected little-endian float32 '<f4' or float64 '<f8')`);
  }
  return { data, shape };
}
