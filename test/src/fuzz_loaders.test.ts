import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readIdMap, readKeyValueFile, readTriples, ID_HEADER_WORDS, TRIPLE_HEADER_WORDS, DEFAULT_MAX_LINE_BYTES } from '../../kg-data/triples_reader';
import { loadModalityFeatures } from '../../kg-data/features';
import { readDescriptor } from '../../kg-data/layout';
import { readConfigFile } from '../../src/app/run_config';
import { encodeNpy } from '../../src/npy';
import { readBundleWithMeta, writeBundle } from '../../src/tensor_file';
import { Rng } from '../../src/rng';

/**
 * Fuzzing every loader with generated corruptions of a small clean file: truncation at every
 * byte, every single-bit flip, random bytes, other encodings, huge declared sizes, long lines.
 * Each case must, within CASE_MS, either succeed with exactly the result its oracle expects or
 * fail with one error (one line, no internal TypeError/RangeError) naming the file.
 *
 * Oracles: checksummed files (checkpoints) and the headers of binary formats must give the
 * clean result or an error. Text formats have no redundancy (a flipped letter is another valid
 * name, a cut at a line end a shorter valid file), so there the oracle is a short reference
 * parse of the same bytes written independently from the loaders, in both directions: the
 * loader succeeds exactly when the reference does, with the same result.
 */
const CASE_MS = 3000;

type Expect<T> = { ok: T } | { error: true } | { sameOrError: T } | { okIfSucceeds: (v: T) => boolean };

interface Tally {
  cases: number;
  ok: number;
  namedErrors: number;
  failures: string[];
  slowest: number;
}
const totals: Record<string, Tally> = {};

const INTERNAL = [TypeError, RangeError, SyntaxError, ReferenceError];

async function check<T>(loader: string, caseName: string, file: string, bytes: Buffer, load: (f: string) => Promise<T>, want: Expect<T>, write = true): Promise<void> {
  const t = (totals[loader] ??= { cases: 0, ok: 0, namedErrors: 0, failures: [], slowest: 0 });
  t.cases++;
  if (write) fs.writeFileSync(file, bytes);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: over ${CASE_MS} ms`)), CASE_MS)));
  let value: T | undefined;
  let error: unknown;
  try {
    value = await Promise.race([load(file), timeout]);
  } catch (err) {
    error = err;
  } finally {
    clearTimeout(timer);
  }
  t.slowest = Math.max(t.slowest, performance.now() - t0);
  const fail = (why: string): void => {
    t.failures.push(`${caseName}: ${why}`);
  };
  if (error !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('HANG')) return fail(message);
    if (!(error instanceof Error) || INTERNAL.some((C) => error.constructor === C)) return fail(`internal error ${String(error)}`);
    if (!message.includes(file)) return fail(`error does not name the file: ${message}`);
    if (message.includes('\n')) return fail(`multi-line error: ${message}`);
    if ('ok' in want) return fail(`expected success, got: ${message}`);
    t.namedErrors++;
    return;
  }
  if ('error' in want) return fail(`expected an error, got ${JSON.stringify(value).slice(0, 200)}`);
  const expected = 'ok' in want ? want.ok : 'sameOrError' in want ? want.sameOrError : undefined;
  if (expected !== undefined) {
    try {
      expect(value).to.deep.equal(expected);
    } catch {
      return fail(`result differs: ${JSON.stringify(value).slice(0, 200)} vs ${JSON.stringify(expected).slice(0, 200)}`);
    }
  } else if ('okIfSucceeds' in want && !want.okIfSucceeds(value as T)) {
    return fail(`unexpected result ${JSON.stringify(value).slice(0, 200)}`);
  }
  t.ok++;
}

/** Generated corruptions of `clean`: every truncation, every bit flip (optionally), random buffers. */
function* corruptions(clean: Buffer, rng: Rng, flips = true): Generator<[string, Buffer]> {
  for (let n = 0; n < clean.length; n++) yield [`truncated to ${n} bytes`, clean.subarray(0, n)];
  if (flips) {
    for (let i = 0; i < clean.length; i++) {
      for (let b = 0; b < 8; b++) {
        const c = Buffer.from(clean);
        c[i] ^= 1 << b;
        yield [`bit ${b} of byte ${i} flipped`, c];
      }
    }
  }
  for (let k = 0; k < 40; k++) {
    const c = Buffer.alloc(rng.int(200));
    for (let i = 0; i < c.length; i++) c[i] = rng.int(256);
    yield [`random bytes #${k}`, c];
  }
  for (let k = 0; k < 20; k++) {
    const c = Buffer.from(clean);
    for (let j = 0; j < 1 + rng.int(6); j++) c[rng.int(c.length)] = rng.int(256);
    yield [`random overwrites #${k}`, c];
  }
}

/** The same text in other encodings and line endings. */
function* encodings(text: string): Generator<[string, Buffer]> {
  yield ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])];
  yield ['CRLF line ends', Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8')];
  yield ['bare CR line ends', Buffer.from(text.replace(/\n/g, '\r'), 'utf8')];
  yield ['no final newline', Buffer.from(text.replace(/\n$/, ''), 'utf8')];
  yield ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])];
  yield ['UTF-16LE without BOM', Buffer.from(text, 'utf16le')];
  const be = Buffer.from(text, 'utf16le');
  be.swap16();
  yield ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), be])];
  yield ['Latin-1', Buffer.from(text, 'latin1')];
  yield ['long line at the end', Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(DEFAULT_MAX_LINE_BYTES + 10, 0x61)])];
  yield ['long line in the middle', Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(DEFAULT_MAX_LINE_BYTES + 10, 0x61), Buffer.from('\n' + text, 'utf8')])];
}

// ---- reference parses (independent of the loaders: split, trim, check) ----

const ERROR = Symbol('error');
const fatal = new TextDecoder('utf-8', { fatal: true });

function referenceLines(bytes: Buffer): string[] | typeof ERROR {
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    return ERROR;
  }
  if (text.includes('\0')) return ERROR;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.some((l) => Buffer.byteLength(l) > DEFAULT_MAX_LINE_BYTES)) return ERROR;
  return lines;
}

function rows(lines: string[]): string[][] {
  return lines.map((l) => l.split('\t').map((f) => f.trim())).filter((f) => !f.every((x) => x === ''));
}

function referenceTriples(bytes: Buffer): [string, string, string][] | typeof ERROR {
  const lines = referenceLines(bytes);
  if (lines === ERROR) return ERROR;
  const rs = rows(lines);
  if (rs.length > 0 && rs[0].length === 3) {
    const roles = rs[0].map((f) => (Object.prototype.hasOwnProperty.call(TRIPLE_HEADER_WORDS, f.toLowerCase()) ? TRIPLE_HEADER_WORDS[f.toLowerCase()] : '?'));
    if (!roles.includes('?') && new Set(roles).size === 3) {
      if (roles.join('') !== 'hrt') return ERROR;
      rs.shift();
    }
  }
  if (rs.length === 0 || rs.some((r) => r.length !== 3 || r.includes(''))) return ERROR;
  return rs.map((r) => [r[0], r[1], r[2]]);
}

function referenceIds(bytes: Buffer): string[] | typeof ERROR {
  const lines = referenceLines(bytes);
  if (lines === ERROR) return ERROR;
  const rs = rows(lines);
  if (rs.length > 0 && rs[0].length === 2 && rs[0].every((f) => ID_HEADER_WORDS.has(f.toLowerCase()))) rs.shift();
  if (rs.length === 0 || rs.some((r) => r.length !== 2 || r[0] === '' || !/^\d+$/.test(r[1]))) return ERROR;
  const keys: string[] = [];
  for (const [k, id] of rs) {
    const i = Number(id);
    if (i >= rs.length || keys[i] !== undefined || keys.includes(k)) return ERROR;
    keys[i] = k;
  }
  return keys;
}

const NUM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Keyed text vectors `key<whitespace>v v v`, as many values per line as the first line has, keys among ENTITIES (others skipped). */
function referenceKeyedVectors(bytes: Buffer): number[][] | typeof ERROR {
  const lines = referenceLines(bytes);
  if (lines === ERROR) return ERROR;
  let dim = 0;
  const found = new Map<string, number[]>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const [key, ...values] = line.trim().split(/\s+/);
    if (dim === 0 && NUM.test(key)) return ERROR; // an unkeyed file (not this fixture's format)
    if (dim === 0) dim = values.length;
    if (dim === 0 || values.length !== dim || !values.every((v) => NUM.test(v))) return ERROR;
    const nums = values.map((v) => Math.fround(Number(v)));
    if (!nums.every(Number.isFinite)) return ERROR;
    if (!ENTITIES.includes(key)) continue;
    if (found.has(key)) return ERROR;
    found.set(key, nums);
  }
  return dim === 0 ? ERROR : ENTITIES.map((k) => found.get(k) ?? new Array<number>(dim).fill(0));
}

const ENTITIES = ['a', 'b', 'c', 'd'];
const featureRows = (data: Float32Array, dim: number): number[][] => ENTITIES.map((_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
const asExpect = <T>(v: T | typeof ERROR): Expect<T> => (v === ERROR ? { error: true } : { ok: v });

describe('fuzz: every loader against generated corruptions', function () {
  this.timeout(120_000);
  let dir: string;
  const rng = new Rng(11);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-fuzz-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    const all = Object.values(totals).reduce((a, t) => ({ cases: a.cases + t.cases, ok: a.ok + t.ok, errors: a.errors + t.namedErrors }), { cases: 0, ok: 0, errors: 0 });
    console.log(`      fuzz: ${all.cases} cases, ${all.ok + all.errors} passed (${all.ok} exact results, ${all.errors} errors naming the file)`);
    for (const [name, t] of Object.entries(totals)) console.log(`        ${name}: ${t.cases} cases, ${t.ok + t.namedErrors} passed, slowest ${t.slowest.toFixed(0)} ms`);
  });
  const report = (name: string): void => {
    const t = totals[name];
    expect(t.failures, t.failures.slice(0, 10).join('\n')).to.deep.equal([]);
  };

  it('triple files (readTriples)', async () => {
    const text = 'head\trelation\ttail\ncafé\tr1\tb\nb\tr1\tcafè\nc\tr2\td\n';
    const load = async (f: string) => (await readTriples(f, { onNote: () => undefined })).map((t): [string, string, string] => [t.head, t.relation, t.tail]);
    const file = path.join(dir, 'train.txt');
    const clean = Buffer.from(text, 'utf8');
    await check('triples', 'clean', file, clean, load, { ok: referenceTriples(clean) as [string, string, string][] });
    for (const [name, bytes] of [...corruptions(clean, rng), ...encodings(text)]) await check('triples', name, file, bytes, load, asExpect(referenceTriples(bytes)));
    await check('triples', 'gzip of garbage', path.join(dir, 'train.txt.gz'), Buffer.from('\x1f\x8b\x08\x00garbage'), load, { error: true });
    report('triples');
  });

  it('id files (readIdMap)', async () => {
    const text = 'entity\tid\ncafé\t1\nb\t0\ncafè\t2\n';
    const load = async (f: string) => [...(await readIdMap(f, () => undefined)).keys];
    const file = path.join(dir, 'entity2id.txt');
    const clean = Buffer.from(text, 'utf8');
    await check('id files', 'clean', file, clean, load, { ok: ['b', 'café', 'cafè'] });
    for (const [name, bytes] of [...corruptions(clean, rng), ...encodings(text)]) await check('id files', name, file, bytes, load, asExpect(referenceIds(bytes)));
    await check('id files', 'huge id', file, Buffer.from('a\t99999999999999999999\n'), load, { error: true });
    report('id files');
  });

  it('key/value files (readKeyValueFile: entity names)', async () => {
    const text = 'entity\tname\ncafé\tA café\nb\tthe b\ncafè\tanother\n';
    const load = async (f: string) => [...(await readKeyValueFile(f, () => undefined)).entries()];
    const reference = (bytes: Buffer): [string, string][] | typeof ERROR => {
      const lines = referenceLines(bytes);
      if (lines === ERROR) return ERROR;
      const rs = rows(lines);
      if (rs.length > 0 && rs[0].length === 2 && rs[0].every((f) => ID_HEADER_WORDS.has(f.toLowerCase()))) rs.shift();
      if (rs.some((r) => r.length !== 2 || r.includes('')) || new Set(rs.map((r) => r[0])).size !== rs.length) return ERROR;
      return rs.map((r) => [r[0], r[1]]);
    };
    const file = path.join(dir, 'names.tsv');
    const clean = Buffer.from(text, 'utf8');
    await check('key/value files', 'clean', file, clean, load, { ok: [['café', 'A café'], ['b', 'the b'], ['cafè', 'another']] });
    for (const [name, bytes] of [...corruptions(clean, rng), ...encodings(text)]) await check('key/value files', name, file, bytes, load, asExpect(reference(bytes)));
    report('key/value files');
  });

  it('dataset descriptors (dataset.json)', async () => {
    const ds = path.join(dir, 'ds');
    fs.mkdirSync(ds);
    const file = path.join(ds, 'dataset.json');
    const text = JSON.stringify({ name: 'tiny', columns: 'htr', entityNames: 'names.tsv' });
    const load = async () => readDescriptor(ds);
    const clean = Buffer.from(text);
    await check('dataset.json', 'clean', file, clean, load, { ok: JSON.parse(text) });
    for (const [name, bytes] of corruptions(clean, rng)) {
      let parsed: unknown = ERROR;
      try {
        parsed = JSON.parse(fatal.decode(bytes));
      } catch {
        // stays ERROR
      }
      await check('dataset.json', name, file, bytes, load, parsed === ERROR ? { error: true } : { okIfSucceeds: (v) => JSON.stringify(v) === JSON.stringify(parsed) });
    }
    report('dataset.json');
  });

  const matrix = Float32Array.from([1, 2, 3, 0.5, -1, 0, 0, 0, 0, 7, 8, 9.25]);
  const loadFeatures = async (f: string) => {
    const r = await loadModalityFeatures(f, { modality: 'image', entityIds: ENTITIES });
    return featureRows(r.data, r.dim);
  };

  it('feature files: .npy', async () => {
    const file = path.join(dir, 'img.npy');
    const clean = encodeNpy(matrix, [4, 3]);
    const dataStart = clean.length - 48;
    await check('features .npy', 'clean', file, clean, loadFeatures, { ok: featureRows(matrix, 3) });
    for (const [name, bytes] of corruptions(clean, rng)) {
      let want: Expect<number[][]>;
      // The values are what the (possibly flipped) data bytes say; non-finite ones are refused. A changed
      // header may still mean the same (a flipped padding byte), else it must be an error.
      const values = bytes.length === clean.length ? new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length)) : undefined;
      if (!values || !values.every(Number.isFinite)) want = { error: true };
      else if (bytes.subarray(0, dataStart).equals(clean.subarray(0, dataStart))) want = { ok: featureRows(values, 3) };
      else {
        // A changed header may still mean the same (a flipped padding byte) or the same data read big-endian ('<' -> '>').
        const data = bytes.subarray(dataStart);
        const be = new Float32Array(12).map((_, i) => data.readFloatBE(4 * i));
        const same = [JSON.stringify(featureRows(values, 3)), JSON.stringify(featureRows(be, 3))];
        want = { okIfSucceeds: (v) => same.includes(JSON.stringify(v)) };
      }
      await check('features .npy', name, file, bytes, loadFeatures, want);
    }
    const huge = Buffer.from(clean.toString('latin1').replace("'shape': (4, 3)", "'shape': (4, 1000000000000)"), 'latin1');
    await check('features .npy', 'shape (4, 1e12)', file, huge, loadFeatures, { error: true });
    const huge2 = Buffer.from(clean);
    huge2.writeUInt16LE(65535, 8);
    await check('features .npy', 'header length 65535', file, huge2, loadFeatures, { error: true });
    report('features .npy');
  });

  it('feature files: keyed text vectors', async () => {
    const text = 'a\t1 2 3\nb\t0.5 -1 0\nd\t7 8 9.25\nzz\t1 1 1\n';
    const file = path.join(dir, 'img.txt');
    const clean = Buffer.from(text, 'utf8');
    await check('features .txt', 'clean', file, clean, loadFeatures, { ok: featureRows(matrix, 3) });
    for (const [name, bytes] of [...corruptions(clean, rng), ...encodings(text)]) await check('features .txt', name, file, bytes, loadFeatures, asExpect(referenceKeyedVectors(bytes)));
    await check('features .txt', 'header claims 1e9 vectors', file, Buffer.from('1000000000 3\n' + text), loadFeatures, { error: true });
    report('features .txt');
  });

  it('feature files: .f32 with a JSON header', async () => {
    const file = path.join(dir, 'img.f32');
    const clean = Buffer.from(matrix.buffer.slice(0));
    const header = Buffer.from(JSON.stringify({ rows: 4, dim: 3 }));
    fs.writeFileSync(`${file}.json`, header);
    await check('features .f32', 'clean', file, clean, loadFeatures, { ok: featureRows(matrix, 3) });
    for (const [name, bytes] of corruptions(clean, rng)) {
      const values = bytes.length === clean.length ? new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) : undefined;
      await check('features .f32', name, file, bytes, loadFeatures, values && values.every(Number.isFinite) ? { ok: featureRows(values, 3) } : { error: true });
    }
    fs.writeFileSync(file, clean);
    // The case file is the header here; the loader is given the data file next to it.
    const loadWithHeader = (_h: string) => async () => loadFeatures(file);
    for (const [name, bytes] of corruptions(header, rng)) {
      await check('features .f32 header', name, `${file}.json`, bytes, loadWithHeader(`${file}.json`), {
        okIfSucceeds: (v) => JSON.stringify(v) === JSON.stringify(featureRows(matrix, 3)),
      });
    }
    // Errors about the data name img.f32, about the header img.f32.json: both contain the case file name.
    await check('features .f32 header', 'rows 1e12', `${file}.json`, Buffer.from('{"rows": 1000000000000, "dim": 3}'), loadWithHeader(`${file}.json`), { error: true });
    report('features .f32');
    report('features .f32 header');
  });

  it('config files (readConfigFile)', async () => {
    const text = JSON.stringify({ dataset: 'wn9-img', model: 'transe', dim: 16, lr: 0.05, epochs: 3, imml: false, columns: 'hrt' });
    const file = path.join(dir, 'config.json');
    const load = async (f: string) => readConfigFile(f);
    const clean = Buffer.from(text);
    await check('configs', 'clean', file, clean, load, { ok: JSON.parse(text) });
    const parsed = (bytes: Buffer): unknown => {
      try {
        return JSON.parse(fatal.decode(bytes));
      } catch {
        return ERROR;
      }
    };
    for (const [name, bytes] of corruptions(clean, rng)) {
      const p = parsed(bytes);
      await check('configs', name, file, bytes, load, p === ERROR ? { error: true } : { okIfSucceeds: (v) => JSON.stringify(v) === JSON.stringify(p) });
    }
    for (const [name, body] of [
      ['__proto__ key', '{"__proto__": {"dim": 1}}'], ['constructor key', '{"constructor": 1}'], ['toString key', '{"toString": "x"}'],
      ['dim 1e9', '{"dim": 1e9}'], ['epochs 2.5', '{"epochs": 2.5}'], ['columns hrx', '{"columns": "hrx"}'], ['array', '[1, 2]'],
      ['deep nesting', '['.repeat(100000) + ']'.repeat(100000)], ['lr NaN', '{"lr": NaN}'], ['model number', '{"model": 3}'],
    ] as const) {
      await check('configs', name, file, Buffer.from(body), load, { error: true });
    }
    report('configs');
  });

  it('checkpoints and saved models (readBundleWithMeta)', async () => {
    const file = path.join(dir, 'checkpoint.bin');
    writeBundle(file, { entities: Float32Array.from([1, 2, 3, 4]), relations: Float32Array.from([0.5, -0.5]), 'optE.sum': Float32Array.from([9]) }, { state: { epoch: 3 }, rngs: [[1, 2, 3, 4]] });
    const clean = fs.readFileSync(file);
    const load = async (f: string) => {
      const b = readBundleWithMeta(f);
      return { arrays: Object.fromEntries(Object.entries(b.arrays).map(([k, v]) => [k, Array.from(v)])), meta: b.meta };
    };
    const want = await load(file);
    for (const [name, bytes] of corruptions(clean, rng)) await check('checkpoints', name, file, bytes, load, bytes.equals(clean) ? { ok: want } : { error: true });
    // A well-formed, correctly checksummed file that declares a huge array.
    writeBundle(file, { entities: Float32Array.from([1]) }, {});
    const forged = fs.readFileSync(file);
    const headerLength = forged.readUInt32LE(8);
    const header = forged.toString('utf8', 12, 12 + headerLength).replace('"length":1', '"length":9');
    forged.write(header, 12, 'utf8');
    const { createHash } = await import('node:crypto');
    createHash('sha256').update(forged.subarray(0, forged.length - 32)).digest().copy(forged, forged.length - 32);
    await check('checkpoints', 'declared length 9 (checksum valid)', file, forged, load, { error: true });
    report('checkpoints');
  });
});
