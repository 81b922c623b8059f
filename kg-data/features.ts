/**
 * Per-entity modality features (image or text vectors) for the KG datasets, as a dense
 * {@link ModalityFeatures} matrix in entity-id order with a mask of the rows that have the modality.
 *
 * Formats, chosen by extension (each may end in `.gz`, gunzipped transparently):
 * - `.npy`: float32 or float64 matrix `[rows, dim]` in entity-id order (how OTKGE/DySarl ship
 *   `matrix_wn_visual.npy`, `matrix_fb_ling.npy`); `rows` must equal the number of entities.
 * - `.txt`, `.tsv`, `.vec`: one vector per line, either `key<TAB or space>f1 f2 ...` (rows aligned
 *   to the entities by key; keys not in the dataset are skipped and counted; entities without a
 *   line are missing) or only floats (rows in entity-id order; the count must match). A first line
 *   of two integers `count dim` (word2vec/fastText header) is checked and skipped. The file is keyed
 *   when the first token of its first vector line is not a number, or when that line is
 *   `key<TAB>values` with `key` an entity key (so numeric keys need the TAB form).
 * - `.pkl`: a Python pickle of a list of 1-D float32 numpy vectors in entity-id order (TransAE's
 *   `textembed_6555_100_2_40.pkl`; read by kg-data/pickle.ts, nothing is executed).
 * - `.f32`: raw little-endian float32, row-major, with a JSON header `<file>.json`
 *   (`{"rows": R, "dim": D, "keys"?: "file with one entity key per line, relative to the header"}`);
 *   without `keys` the rows are in entity-id order.
 *
 * A row that is all zeros is missing (mask 0). A NaN/Inf value is an error naming the file and the
 * row; so are a wrong row count, a line with another number of values than the first (file:line),
 * a duplicated key and an unknown extension.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { ModalityFeatures } from '../src/modality';
import { readNpy } from '../src/npy';
import { decodeUtf8, forEachLine as forEachTextLine } from '../src/text_lines';
import { prepareDatasets } from './prepare';
import { pickledVectors } from './pickle';
import { featureFilePath, type DatasetDescriptor, type DatasetName, type TextFeatureFile } from './registry';
import { assertReadableFile, KgDataError } from './triples_reader';

/** The file formats {@link loadModalityFeatures} reads. */
export type FeatureFormat = 'npy' | 'text' | 'f32' | 'pkl';

/** Options of {@link loadModalityFeatures}. */
export interface LoadFeaturesOptions {
  /** Modality name stored in the result (`image`, `text`, ...). */
  modality: string;
  /** Entity keys in id order, as loader.ts gives them in `dataset.entities`. */
  entityIds: readonly string[];
  /** One summary line per loaded file (format, shape, rows present, skipped keys). */
  log?: (m: string) => void;
}

/** {@link ModalityFeatures} plus how the file was read. */
export interface LoadedModalityFeatures extends ModalityFeatures {
  /** Format the file was read as. */
  readonly format: FeatureFormat;
  /** Keyed files: rows whose key is not an entity of the dataset (skipped). */
  readonly skippedKeys: number;
}

/** Modality names in the order {@link loadDatasetModalities} returns them. */
export const DATASET_MODALITIES = ['image', 'text'] as const;

/** The config keys naming the feature file of each modality. */
export interface FeatureConfig {
  imageFeatures: string;
  textFeatures: string;
  /** 'l2': every loaded row scaled to unit norm (see MultimodalConfig.featureNorm); absent = 'none'. */
  featureNorm?: 'none' | 'l2';
}

/**
 * Format of a feature file from its extension (a trailing `.gz` is ignored). Unknown extensions
 * throw an error naming the file and listing the supported ones.
 */
export function featureFormat(file: string): FeatureFormat {
  const base = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  const ext = path.extname(base);
  if (ext === '.npy') return 'npy';
  if (ext === '.txt' || ext === '.tsv' || ext === '.vec') return 'text';
  if (ext === '.f32') return 'f32';
  if (ext === '.pkl') return 'pkl';
  throw new KgDataError(
    file,
    undefined,
    `unknown feature file format '${ext || '(no extension)'}': expected .npy (float32/float64 matrix), .txt/.tsv/.vec (text vectors), .f32 (raw float32 with a .json header) or .pkl (a pickled list of float32 numpy vectors in entity-id order), each optionally .gz`,
  );
}

/**
 * Load per-entity features of one modality from `file` (format by extension, see the module
 * comment) into an `entityIds.length x dim` matrix in entity-id order with its mask.
 */
export async function loadModalityFeatures(file: string, opts: LoadFeaturesOptions): Promise<LoadedModalityFeatures> {
  const format = featureFormat(file);
  await assertReadableFile(file);
  let result: { dim: number; data: Float32Array; skippedKeys: number };
  if (format === 'npy') result = loadNpyFeatures(file, opts.entityIds);
  else if (format === 'f32') result = loadF32Features(file, opts.entityIds);
  else if (format === 'pkl') result = loadPickleFeatures(file, opts.entityIds);
  else result = await loadTextFeatures(file, opts.entityIds);
  const rows = opts.entityIds.length;
  const mask = maskOfRows(result.data, rows, result.dim);
  const features: LoadedModalityFeatures = {
    modality: opts.modality,
    source: file,
    rows,
    dim: result.dim,
    data: result.data,
    mask,
    format,
    skippedKeys: result.skippedKeys,
  };
  if (opts.log) {
    let present = 0;
    for (let i = 0; i < rows; i++) present += mask[i];
    const skipped = result.skippedKeys > 0 ? `, ${result.skippedKeys} keys not in the dataset skipped` : '';
    opts.log(`${opts.modality} features: ${file} (${format}, ${rows} x ${result.dim}, ${present}/${rows} entities present${skipped})`);
  }
  return features;
}

/**
 * What a feature config value selects: `''` = the dataset's default (`datasetDefault`, which may
 * be undefined = none), `'none'` (any case) = disabled, anything else = that path. Returns the
 * file to load, or undefined when the modality is not used.
 */
export function resolveFeatureOption(value: string, datasetDefault: string | undefined): string | undefined {
  const v = value.trim();
  if (v === '') return datasetDefault;
  if (v.toLowerCase() === 'none') return undefined;
  return v;
}

/** The registry entry of a dataset's default feature file for `modality`, or undefined when it has none. */
export function datasetFeatureEntry(descriptor: DatasetDescriptor | null | undefined, modality: 'image' | 'text'): TextFeatureFile | undefined {
  const key = descriptor?.defaultFeatures?.[modality];
  if (!descriptor || !key) return undefined;
  const entry = (modality === 'image' ? descriptor.imageFeatures : descriptor.textFeatures)[key];
  if (!entry) throw new Error(`registry: ${descriptor.name} default ${modality} feature '${key}' is not one of its ${modality} feature entries`);
  return entry;
}

/** Absolute path of a registry dataset's default feature file for `modality` (it may not exist yet), or undefined. */
export function datasetFeatureFile(descriptor: DatasetDescriptor | null | undefined, modality: 'image' | 'text'): string | undefined {
  const entry = datasetFeatureEntry(descriptor, modality);
  return descriptor && entry ? featureFilePath(descriptor, entry) : undefined;
}

/**
 * The modalities a training run uses, in the order [image?, text?] (only the present ones): each
 * from its config value (see {@link resolveFeatureOption}; defaults from the registry entry, none
 * for a directory dataset). A default that is derived (word-vector slices) and not yet in the
 * cache is derived now (kg-data/prepare.ts); a default file that the data home lacks (WN9-IMG's image
 * features in a download) means none. `log` says, per modality, which file is used or why none is.
 */
export async function loadDatasetModalities(
  descriptorOrNull: DatasetDescriptor | null | undefined,
  config: FeatureConfig,
  entityIds: readonly string[],
  opts: { log?: (m: string) => void } = {},
): Promise<ModalityFeatures[]> {
  const log = opts.log ?? (() => undefined);
  const out: ModalityFeatures[] = [];
  for (const modality of DATASET_MODALITIES) {
    const value = (modality === 'image' ? config.imageFeatures : config.textFeatures) ?? '';
    const flag = modality === 'image' ? '--image-features' : '--text-features';
    const entry = value.trim() === '' ? datasetFeatureEntry(descriptorOrNull, modality) : undefined;
    let def = datasetFeatureFile(descriptorOrNull, modality);
    if (descriptorOrNull && entry && def && !fs.existsSync(def)) {
      if (entry.derived) {
        log(`${modality} features: ${def} is not in the cache yet; deriving it (mmkge prepare --dataset ${descriptorOrNull.name})`);
        await prepareDatasets([descriptorOrNull.name as DatasetName], { log });
      } else {
        log(`${modality} features: none (the data home copy of ${descriptorOrNull.name} has no ${entry.file}; pass ${flag} FILE)`);
        def = undefined;
      }
    }
    const file = resolveFeatureOption(value, def);
    if (file === undefined) {
      if (value.trim().toLowerCase() === 'none') log(`${modality} features: none (disabled by ${flag} none)`);
      else if (descriptorOrNull && !entry) log(`${modality} features: none (${descriptorOrNull.name} has no ${modality} features; pass ${flag} FILE)`);
      else if (!descriptorOrNull) log(`${modality} features: none (pass ${flag} FILE to use them)`);
      continue;
    }
    const raw = await loadModalityFeatures(file, { modality, entityIds, log });
    const loaded = config.featureNorm === 'l2' ? normalizeFeatureRows(raw) : raw;
    if (loaded !== raw) log(`${modality} features: rows scaled to unit L2 norm (--feature-norm l2)`);
    out.push(entry?.label && file === def ? { ...loaded, label: entry.label } : loaded);
  }
  const warning = config.featureNorm === 'l2' ? undefined : scaleMismatch(out);
  if (warning) log(warning);
  return out;
}

/** Modalities whose mean row norms differ by more than this factor get a warning. */
const SCALE_MISMATCH = 10;

/**
 * A warning when the modalities' mean row norms (over the rows present) differ by more than
 * {@link SCALE_MISMATCH}x, else undefined: fusion weights then mean little, and `--feature-norm l2`
 * puts every row on the unit sphere.
 */
export function scaleMismatch(features: readonly ModalityFeatures[]): string | undefined {
  const norms = features.map((f) => {
    let sum = 0;
    let present = 0;
    for (let r = 0; r < f.rows; r++) {
      if (!f.mask[r]) continue;
      let s = 0;
      for (let c = 0; c < f.dim; c++) s += f.data[r * f.dim + c] ** 2;
      sum += Math.sqrt(s);
      present++;
    }
    return present > 0 ? sum / present : NaN;
  });
  const valid = norms.filter((n) => n > 0);
  if (valid.length < 2 || Math.max(...valid) <= SCALE_MISMATCH * Math.min(...valid)) return undefined;
  const list = features.map((f, i) => `${f.modality} ${norms[i].toPrecision(3)}`).join(', ');
  return `warning: the modalities' mean row norms differ by ${(Math.max(...valid) / Math.min(...valid)).toFixed(0)}x (${list}); the fusion weights assume comparable scales, consider --feature-norm l2`;
}

/**
 * The features with each present row scaled to unit Euclidean norm (a new array; missing rows
 * stay zero), the source marked so that reports say so.
 */
export function normalizeFeatureRows<T extends ModalityFeatures>(f: T): T {
  const data = new Float32Array(f.data.length);
  for (let r = 0; r < f.rows; r++) {
    if (!f.mask[r]) continue;
    const o = r * f.dim;
    let s = 0;
    for (let c = 0; c < f.dim; c++) s += f.data[o + c] * f.data[o + c];
    const inv = 1 / Math.sqrt(s);
    for (let c = 0; c < f.dim; c++) data[o + c] = f.data[o + c] * inv;
  }
  return { ...f, data, source: `${f.source}, rows L2-normalised` };
}

/** Mask of a rows x dim matrix: 0 for an all-zero row, else 1. */
function maskOfRows(data: Float32Array, rows: number, dim: number): Uint8Array {
  const mask = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) {
      if (data[base + c] !== 0) {
        mask[r] = 1;
        break;
      }
    }
  }
  return mask;
}

/** Throws a row-naming error at the first NaN/Inf value of a rows x dim matrix. */
function checkFinite(file: string, data: Float32Array, dim: number, keyOf: (row: number) => string | undefined): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / dim);
      const key = keyOf(row);
      throw new KgDataError(file, undefined, `row ${row}${key === undefined ? '' : ` (key '${key}')`}: value ${i % dim} is ${data[i]} (NaN/Inf values are not allowed)`);
    }
  }
}

function loadNpyFeatures(file: string, entityIds: readonly string[]): { dim: number; data: Float32Array; skippedKeys: number } {
  const { data, shape } = readNpy(file);
  if (shape.length !== 2) throw new KgDataError(file, undefined, `expected a 2-D matrix [entities, dim], found shape [${shape.join(', ')}]`);
  const [rows, dim] = shape;
  if (rows !== entityIds.length) {
    throw new KgDataError(file, undefined, `has ${rows} rows but the dataset has ${entityIds.length} entities (a .npy matrix must have one row per entity, in entity-id order)`);
  }
  if (dim === 0) throw new KgDataError(file, undefined, 'has 0 columns');
  checkFinite(file, data, dim, (r) => entityIds[r]);
  return { dim, data, skippedKeys: 0 };
}

/** A pickled list of float32 numpy vectors, one per entity in id order (TransAE's text embeddings). */
function loadPickleFeatures(file: string, entityIds: readonly string[]): { dim: number; data: Float32Array; skippedKeys: number } {
  const raw = fs.readFileSync(file);
  const m = pickledVectors(file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw, file);
  if (m.rows !== entityIds.length) throw new KgDataError(file, undefined, `has ${m.rows} vectors but the dataset has ${entityIds.length} entities (one per entity, in entity-id order)`);
  checkFinite(file, m.data, m.dim, (r) => entityIds[r]);
  return { dim: m.dim, data: m.data, skippedKeys: 0 };
}

/** The JSON header of a `.f32` file. */
interface F32Header {
  rows: number;
  dim: number;
  keys?: string;
}

function loadF32Features(file: string, entityIds: readonly string[]): { dim: number; data: Float32Array; skippedKeys: number } {
  const candidates = [`${file}.json`];
  if (file.endsWith('.gz')) candidates.push(`${file.slice(0, -3)}.json`);
  const headerFile = candidates.find((c) => fs.existsSync(c));
  if (headerFile === undefined) throw new KgDataError(file, undefined, `missing JSON header ${candidates.join(' or ')} ({"rows": R, "dim": D, "keys"?: "keys file"})`);
  let header: F32Header;
  try {
    header = JSON.parse(fs.readFileSync(headerFile, 'utf8')) as F32Header;
  } catch (err) {
    throw new KgDataError(headerFile, undefined, `invalid JSON header (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object') throw new KgDataError(headerFile, undefined, 'the header must be a JSON object {"rows": R, "dim": D}');
  for (const k of ['rows', 'dim'] as const) {
    if (!Number.isInteger(header[k]) || header[k] <= 0) throw new KgDataError(headerFile, undefined, `"${k}" must be a positive integer, got ${JSON.stringify(header[k])}`);
  }
  if (header.keys !== undefined && (typeof header.keys !== 'string' || header.keys === '')) {
    throw new KgDataError(headerFile, undefined, `"keys" must be a relative file path, got ${JSON.stringify(header.keys)}`);
  }
  const { rows, dim } = header;
  let bytes = fs.readFileSync(file);
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new KgDataError(file, undefined, `corrupt gzip data (${(err as Error).message})`);
    }
  }
  if (bytes.length !== rows * dim * 4) {
    throw new KgDataError(file, undefined, `has ${bytes.length} bytes but the header ${headerFile} says ${rows} x ${dim} float32 = ${rows * dim * 4} bytes`);
  }
  const raw = new Float32Array(rows * dim);
  if (isLittleEndian()) Buffer.from(raw.buffer).set(bytes);
  else for (let i = 0; i < raw.length; i++) raw[i] = bytes.readFloatLE(4 * i);

  if (header.keys === undefined) {
    if (rows !== entityIds.length) {
      throw new KgDataError(file, undefined, `has ${rows} rows but the dataset has ${entityIds.length} entities (without "keys" in ${headerFile} the rows must be the entities in id order)`);
    }
    checkFinite(file, raw, dim, (r) => entityIds[r]);
    return { dim, data: raw, skippedKeys: 0 };
  }
  const keysFile = path.resolve(path.dirname(headerFile), header.keys);
  const keys = readKeyLines(keysFile);
  if (keys.length !== rows) throw new KgDataError(keysFile, undefined, `has ${keys.length} keys but ${headerFile} says ${rows} rows`);
  checkFinite(file, raw, dim, (r) => keys[r]);
  const index = entityIndex(entityIds);
  const data = new Float32Array(entityIds.length * dim);
  const rowOfEntity = new Map<number, number>();
  let skippedKeys = 0;
  for (let r = 0; r < rows; r++) {
    const id = index.get(keys[r]);
    if (id === undefined) {
      skippedKeys++;
      continue;
    }
    const previous = rowOfEntity.get(id);
    if (previous !== undefined) throw new KgDataError(keysFile, r + 1, `duplicated key '${keys[r]}' (already on line ${previous + 1})`);
    rowOfEntity.set(id, r);
    data.set(raw.subarray(r * dim, (r + 1) * dim), id * dim);
  }
  return { dim, data, skippedKeys };
}

/** Keys of a one-key-per-line file (optionally .gz); a blank line in the middle is an error. */
function readKeyLines(file: string): string[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new KgDataError(file, undefined, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'keys file not found' : `cannot read (${(err as Error).message})`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new KgDataError(file, undefined, `corrupt gzip data (${(err as Error).message})`);
    }
  }
  const lines = decodeUtf8(bytes, (line, problem) => new KgDataError(file, line, problem)).split(/\r\n|\r|\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.map((l, i) => {
    const key = l.trim();
    if (key === '') throw new KgDataError(file, i + 1, 'empty key line (one entity key per line, row order of the .f32 file)');
    return key;
  });
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function entityIndex(entityIds: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  entityIds.forEach((k, i) => index.set(k, i));
  return index;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function isNumberToken(token: string): boolean {
  return NUMBER.test(token) || NON_FINITE.test(token);
}

/** Cap on one line of a text feature file (64 MiB: room for very wide vectors, not for a runaway file). */
const MAX_FEATURE_LINE_BYTES = 64 << 20;

/** Streams the lines of a (possibly gzipped) text file: onLine(text, 1-based line number); strict UTF-8, capped lines. */
async function forEachLine(file: string, onLine: (text: string, line: number) => void): Promise<void> {
  await forEachTextLine(file, onLine, { maxLineBytes: MAX_FEATURE_LINE_BYTES, fail: (line, problem) => new KgDataError(file, line, problem) });
}

async function loadTextFeatures(file: string, entityIds: readonly string[]): Promise<{ dim: number; data: Float32Array; skippedKeys: number }> {
  const index = entityIndex(entityIds);
  const n = entityIds.length;
  let keyed: boolean | undefined;
  let dim: number | undefined;
  let dimLine = 0;
  let data: Float32Array | undefined;
  let row = 0; // vector rows seen (unkeyed: = next entity id)
  let skippedKeys = 0;
  const lineOfEntity = new Map<number, number>();
  let header: { count: number; dim: number; line: number } | undefined;
  let pending: { text: string; line: number } | undefined; // first data line, until we know whether it is a header

  const handle = (text: string, line: number): void => {
    const tokens = text.trim().split(/\s+/);
    if (keyed === undefined) {
      const first = tokens[0];
      const tab = text.indexOf('\t');
      const tabKey = tab > 0 && text.slice(0, tab).trim() === first && !text.slice(tab + 1).includes('\t') && index.has(first);
      keyed = !isNumberToken(first) || tabKey;
    }
    const values = keyed ? tokens.slice(1) : tokens;
    if (values.length === 0) throw new KgDataError(file, line, `key '${tokens[0]}' has no values`);
    if (dim === undefined) {
      dim = values.length;
      dimLine = line;
      if (header && header.dim !== dim) throw new KgDataError(file, line, `${dim} values, but the header on line ${header.line} says dim ${header.dim}`);
      data = new Float32Array(n * dim);
    } else if (values.length !== dim) {
      throw new KgDataError(file, line, `${values.length} values, expected ${dim} as on line ${dimLine}`);
    }
    let target: number | undefined;
    const key = keyed ? tokens[0] : undefined;
    if (key !== undefined) {
      target = index.get(key);
      if (target === undefined) skippedKeys++;
      else {
        const previous = lineOfEntity.get(target);
        if (previous !== undefined) throw new KgDataError(file, line, `duplicated key '${key}' (already on line ${previous})`);
        lineOfEntity.set(target, line);
      }
    } else if (row < n) target = row;
    const where = `row ${row}${key === undefined ? '' : ` (key '${key}')`}`;
    const d = dim;
    const out = data as Float32Array;
    for (let c = 0; c < d; c++) {
      const token = values[c];
      const x = Number(token);
      if (!Number.isFinite(x) || !isNumberToken(token)) {
        if (NON_FINITE.test(token) || (isNumberToken(token) && !Number.isFinite(x))) {
          throw new KgDataError(file, line, `${where}: value ${c} is '${token}' (NaN/Inf values are not allowed)`);
        }
        const hint = keyed ? '' : ' (the first vector line has no key, so every line must hold only numbers)';
        throw new KgDataError(file, line, `${where}: value ${c} '${token}' is not a number${hint}`);
      }
      if (Math.abs(x) > FLOAT32_MAX) throw new KgDataError(file, line, `${where}: value ${c} '${token}' is outside the float32 range (it would become Inf)`);
      if (target !== undefined) out[target * d + c] = x;
    }
    row++;
  };

  await forEachLine(file, (text, line) => {
    if (text.trim() === '') return;
    if (pending === undefined && row === 0 && header === undefined) {
      pending = { text, line };
      return;
    }
    if (pending !== undefined) {
      const p = pending;
      pending = undefined;
      const t = p.text.trim().split(/\s+/);
      const count = text.trim().split(/\s+/).length;
      const headerDim = Number(t[1]);
      const twoInts = t.length === 2 && /^\d+$/.test(t[0]) && /^\d+$/.test(t[1]) && headerDim > 0;
      // `count dim` then a line of `dim` numbers (dim 2 would be ambiguous) or of a key + `dim` numbers
      if (twoInts && ((count === headerDim && headerDim !== 2) || (count === headerDim + 1 && !isNumberToken(text.trim().split(/\s+/)[0])))) {
        header = { count: Number(t[0]), dim: Number(t[1]), line: p.line };
      } else handle(p.text, p.line);
    }
    handle(text, line);
  });
  if (pending !== undefined) handle(pending.text, pending.line);
  if (dim === undefined || data === undefined) throw new KgDataError(file, undefined, 'no vectors found (empty file)');
  if (header && header.count !== row) throw new KgDataError(file, header.line, `header says ${header.count} vectors, the file has ${row}`);
  if (!keyed && row !== n) {
    throw new KgDataError(file, undefined, `has ${row} vector rows but the dataset has ${n} entities (a file without keys must have one row per entity, in entity-id order)`);
  }
  return { dim, data, skippedKeys };
}
