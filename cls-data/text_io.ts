/**
 * Low-level reading shared by the classification loaders: whole-file text (gunzipped when the
 * name ends in `.gz`), physical lines with their numbers, and a parser for the one-list-per-line
 * Python literals of the HFM release (`['id', 'text', 1]`).
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { ClsDataError } from './sample';
import { decodeUtf8 } from '../src/text_lines';
import { readNpy, type NpyMatrix } from '../src/npy';

/** Read a file as UTF-8 (gunzip first when it ends in `.gz`; a leading BOM is dropped). */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ClsDataError(file, undefined, `cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new ClsDataError(file, undefined, `not a valid gzip file (${(err as Error).message})`);
    }
  }
  // Strict: invalid UTF-8 would decode to U+FFFD and merge distinct ids.
  return decodeUtf8(bytes, (line, problem) => new ClsDataError(file, line, problem));
}

/** Read a file's bytes (gunzipped when it ends in `.gz`), with errors naming the file. */
export function readBinaryFile(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ClsDataError(file, undefined, `cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (!file.endsWith('.gz')) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch (err) {
    throw new ClsDataError(file, undefined, `not a valid gzip file (${(err as Error).message})`);
  }
}

/** A non-blank physical line and its 1-based number (LF, CRLF and bare CR all end a line). */
export interface NumberedLine {
  readonly line: number;
  readonly text: string;
}

/** The non-blank lines of `text`, numbered as an editor numbers them. */
export function numberedLines(text: string): NumberedLine[] {
  const out: NumberedLine[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) if (lines[i].trim().length > 0) out.push({ line: i + 1, text: lines[i] });
  return out;
}

/** A value of a flat Python list literal: a string or a number. */
export type PyScalar = string | number;

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/**
 * Parse a flat Python list literal of strings and integers/floats, e.g.
 * `['9103', "it 's", 1, 0]` (Python's repr, which picks `"` when the string holds `'`).
 * Escapes: `\\ \' \" \n \t \r \xHH \uHHHH \UHHHHHHHH`; an unknown escape keeps the backslash,
 * as Python does. Throws a plain Error saying what is wrong and at which column.
 */
export function parsePyList(src: string): PyScalar[] {
  let i = 0;
  const n = src.length;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at column ${i + 1}`);
  };
  const skipWs = (): void => {
    while (i < n && /\s/.test(src[i])) i++;
  };
  skipWs();
  if (src[i] !== '[') fail("expected '['");
  i++;
  const out: PyScalar[] = [];
  skipWs();
  if (src[i] === ']') {
    i++;
  } else {
    for (;;) {
      skipWs();
      const c = src[i];
      if (c === "'" || c === '"') {
        i++;
        let s = '';
        for (;;) {
          if (i >= n) fail('unterminated string');
          const ch = src[i];
          if (ch === c) {
            i++;
            break;
          }
          if (ch === '\\') {
            const e = src[i + 1];
            if (e === undefined) fail('unterminated escape');
            if (e in SIMPLE_ESCAPES) {
              s += SIMPLE_ESCAPES[e];
              i += 2;
            } else if (e === 'x' || e === 'u' || e === 'U') {
              const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
              const hex = src.slice(i + 2, i + 2 + len);
              if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail(`bad \\${e} escape`);
              s += String.fromCodePoint(parseInt(hex, 16));
              i += 2 + len;
            } else {
              s += '\\';
              i++;
            }
            continue;
          }
          s += ch;
          i++;
        }
        out.push(s);
      } else {
        const m = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
        if (!m) fail('expected a string or a number');
        out.push(Number(m![0]));
        i += m![0].length;
      }
      skipWs();
      if (src[i] === ',') {
        i++;
        skipWs();
        if (src[i] === ']') {
          i++;
          break;
        }
        continue;
      }
      if (src[i] === ']') {
        i++;
        break;
      }
      fail("expected ',' or ']'");
    }
  }
  skipWs();
  if (i < n) fail('unexpected text after the list');
  return out;
}

/** Read a .npy matrix (gunzipped when it ends in `.gz`); a malformed one is a ClsDataError naming the file. */
export function readNpyFile(file: string): NpyMatrix {
  const bytes = readBinaryFile(file);
  try {
    return readNpy(file, bytes);
  } catch (err) {
    throw new ClsDataError(file, undefined, (err as Error).message.replace(`${file}: `, ''));
  }
}
