import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeUtf8 } from './text_lines';

/**
 * Write a file atomically: write a sibling temp file, fsync it, then rename over the target.
 * A crash leaves either the old file or the new one, never a torn one.
 */
export function writeFileAtomic(file: string, data: string | NodeJS.ArrayBufferView): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDirectory(path.dirname(file));
}

/** fsync a directory so a rename in it survives a power cut (best effort: not every platform allows it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows and some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Write JSON atomically, pretty-printed. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Read a JSON file with an error naming the file. */
export function readJson<T>(file: string): T {
  return parseJsonText<T>(readTextStrict(file), file);
}

/** A file's text as strict UTF-8 (invalid bytes are an error naming the file, never U+FFFD). */
export function readTextStrict(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return decodeUtf8(bytes, (line, problem) => new Error(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`));
}

/** JSON.parse with an error naming the file; the parser's excerpt of the input is kept on one line. */
export function parseJsonText<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${oneLine((err as Error).message)})`);
  }
}

/** Control characters escaped, so a message stays one line whatever bytes it quotes. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
