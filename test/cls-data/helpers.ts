/**
 * Shared helpers of the cls-data tests: temporary folders and error capture.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** A fresh temporary folder (removed by {@link removeTmpDirs}). */
export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-cls-test-'));
  created.push(dir);
  return dir;
}
const created: string[] = [];

/** Remove every folder made by {@link tmpDir}. */
export function removeTmpDirs(): void {
  while (created.length > 0) fs.rmSync(created.pop()!, { recursive: true, force: true });
}

/** Write `content` to dir/name (gzipped when name ends in .gz); returns the path. */
export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  fs.writeFileSync(file, name.endsWith('.gz') ? zlib.gzipSync(bytes) : bytes);
  return file;
}

/** The Error thrown by `f` (fails the test when it returns). */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw, but the call returned');
}

/** The promise-rejection capture of the kg-data tests (one definition for both data folders). */
export { rejection } from '../kg-data/helpers';
