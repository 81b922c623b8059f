import * as fs from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Strict, linear-time reading of text files line by line: LF, CRLF and bare CR end a line (1-based
 * physical numbers, as an editor shows them), `.gz` files are gunzipped, a UTF-8 BOM is dropped.
 * Invalid UTF-8 and NUL bytes (UTF-16 or binary files) are errors: decoding them to U+FFFD would
 * merge distinct names. A line longer than the cap is an error instead of an unbounded buffer.
 */

/** Default cap on one line (1 MiB): far above any triple or id line. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** Builds the error to throw for a problem at a line (undefined: not tied to one). */
export type LineErrorFactory = (line: number | undefined, problem: string) => Error;

export interface LineReadOptions {
  /** Cap on one line's bytes (default {@link DEFAULT_MAX_LINE_BYTES}). */
  maxLineBytes?: number;
  /** How errors are built (e.g. a data-error class with `file:line: problem`). */
  fail: LineErrorFactory;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** Decode one line's bytes as strict UTF-8; `line` is its 1-based number (BOM dropped on line 1). */
export function decodeLine(bytes: Uint8Array, line: number, fail: LineErrorFactory): string {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // The lenient decode is fast; only a line that shows U+FFFD needs the strict check (it may be a real U+FFFD).
  if (text.includes('\ufffd')) {
    try {
      strict.decode(bytes);
    } catch {
      throw fail(line, `invalid UTF-8 at byte ${firstInvalidByte(bytes) + 1} of the line; save the file as UTF-8`);
    }
  }
  if (text.includes('\0')) throw fail(line, 'NUL byte in a text line (a UTF-16 or binary file?); save the file as UTF-8 text');
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/** Decode a whole buffer as strict UTF-8 (BOM dropped); an invalid sequence is reported with its line. */
export function decodeUtf8(bytes: Uint8Array, fail: LineErrorFactory): string {
  try {
    const text = strict.decode(bytes);
    if (text.includes('\0')) {
      const at = text.indexOf('\0');
      throw fail(lineAt(text, at), 'NUL byte in a text file (a UTF-16 or binary file?); save the file as UTF-8 text');
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const bad = firstInvalidByte(bytes);
    const before = Buffer.from(bytes.buffer, bytes.byteOffset, bad).toString('latin1');
    throw fail(lineAt(before, before.length), 'invalid UTF-8; save the file as UTF-8');
  }
}

/** 1-based line of character offset `at` (LF, CRLF, CR). */
function lineAt(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (bytes.length if none). */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    if (n > 0) {
      try {
        strict.decode(bytes.subarray(i, i + n + 1));
      } catch {
        return i;
      }
    }
    i += n + 1;
  }
  return bytes.length;
}

/**
 * Stream the lines of `file` (blank ones included), calling `onLine(text, line)`. Resolves to the
 * number of physical lines. Errors thrown by `onLine` propagate unchanged; read and gzip failures,
 * over-long lines, invalid UTF-8 and NUL bytes are errors built by `opts.fail`.
 */
export async function forEachLine(file: string, onLine: (text: string, line: number) => void, opts: LineReadOptions): Promise<number> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const fail = opts.fail;
  const source = fs.createReadStream(file);
  let input: NodeJS.ReadableStream = source;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    // pipeline destroys both on failure; the error surfaces in the iteration below.
    pipeline(source, gunzip, () => undefined);
    input = gunzip;
  }
  let parts: Buffer[] = [];
  let partBytes = 0;
  let line = 0;
  let afterCR = false;
  let fromCallback: { err: unknown } | undefined;
  const emit = (bytes: Buffer): void => {
    line++;
    if (bytes.length > max) throw fail(line, `line longer than ${max} bytes; is this a text file with one record per line?`);
    const text = decodeLine(bytes, line, fail);
    try {
      onLine(text, line);
    } catch (err) {
      fromCallback = { err };
      throw err;
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (b !== 10 && b !== 13) continue;
        if (b === 10 && afterCR && i === start && partBytes === 0) {
          // The LF of a CRLF whose CR ended the previous line.
          afterCR = false;
          start = i + 1;
          continue;
        }
        const piece = chunk.subarray(start, i);
        emit(partBytes === 0 ? piece : Buffer.concat([...parts, piece]));
        parts = [];
        partBytes = 0;
        start = i + 1;
        afterCR = b === 13;
      }
      if (start < chunk.length) {
        afterCR = false;
        parts.push(chunk.subarray(start));
        partBytes += chunk.length - start;
        if (partBytes > max) throw fail(line + 1, `line longer than ${max} bytes; is this a text file with one record per line?`);
      }
    }
    if (partBytes > 0) emit(Buffer.concat(parts));
  } catch (err) {
    if (fromCallback && fromCallback.err === err) throw err;
    if (err instanceof Error && (err as { file?: unknown }).file !== undefined) throw err;
    const code = String((err as NodeJS.ErrnoException).code ?? '');
    const message = (err as Error).message;
    if (code.startsWith('Z_')) throw fail(line + 1, `corrupt gzip data (${message})`);
    if (code === 'ENOENT') throw fail(undefined, 'file not found');
    if (code === 'EISDIR') throw fail(undefined, 'not a regular file');
    if (code) throw fail(line + 1, `read error (${message})`);
    throw err;
  } finally {
    source.destroy();
    (input as unknown as { destroy?: () => void }).destroy?.();
  }
  return line;
}
