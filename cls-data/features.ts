/**
 * Precomputed per-sample features (any tool can export them: a ResNet's pooled output, a BERT
 * [CLS] vector, CLIP embeddings), keyed by sample id. This is how the classification adapter
 * trains on image/text encoders that cannot run on our machines (no pre-trained BERT or ImageNet
 * ResNet weights can be fetched there).
 *
 * Formats:
 * - `.npy` (optionally `.npy.gz`): float32 or float64 matrix [n, d], plus an ids file with one
 *   sample id per line, row i = line i (default: the same path with `.npy[.gz]` replaced by
 *   `.ids.txt`);
 * - `.jsonl` (optionally `.jsonl.gz`): one `{"id": ..., "feature": [d numbers]}` per line.
 */
import * as fs from 'node:fs';
import { ClsDataError, type Sample } from './sample';
import { numberedLines, readNpyFile, readTextFile } from './text_io';

/** Options of {@link loadSampleFeatures}. */
export interface SampleFeatureOptions {
  /** Ids file of a `.npy` matrix (default `<file minus .npy[.gz]>.ids.txt`). */
  readonly idsFile?: string;
  /** Expected vector length; a file with another length is an error. */
  readonly dim?: number;
}

/** Feature vectors of the requested samples. */
export interface SampleFeatures {
  /** Vector length d. */
  readonly dim: number;
  /** id -> vector of length d (a copy, not a view into the file). */
  readonly byId: Map<string, Float32Array>;
  /** The feature file. */
  readonly source: string;
}

/** Default ids file of a `.npy` features file. */
export function defaultIdsFile(file: string): string {
  return file.replace(/\.npy(\.gz)?$/, '') + '.ids.txt';
}

/**
 * Load the feature vectors of `ids` from `file` (format by extension, see the module comment).
 * Rows of ids not requested are ignored. Errors name the file and the line or sample id:
 * unknown extension, an ids file whose line count differs from the matrix rows, a non-2-D
 * matrix, a duplicate id, a requested id that the file lacks, a vector of the wrong length
 * (jsonl, or `opts.dim`), a non-finite or non-numeric value.
 */
export function loadSampleFeatures(file: string, ids: Iterable<string>, opts: SampleFeatureOptions = {}): SampleFeatures {
  const wanted = new Set(ids);
  let table: { dim: number; rows: Map<string, Float32Array>; where: (id: string) => string };
  if (/\.npy(\.gz)?$/.test(file)) table = readNpyTable(file, opts.idsFile ?? defaultIdsFile(file), wanted);
  else if (/\.jsonl(\.gz)?$/.test(file)) table = readJsonlTable(file, wanted);
  else throw new ClsDataError(file, undefined, 'unknown feature file type: expected .npy, .npy.gz, .jsonl or .jsonl.gz');
  if (opts.dim !== undefined && table.dim !== opts.dim) {
    throw new ClsDataError(file, undefined, `feature dimension ${table.dim}, expected ${opts.dim}`);
  }
  for (const id of wanted) {
    if (!table.rows.has(id)) throw new ClsDataError(file, { id }, `no feature vector for this sample (${table.where(id)})`);
  }
  return { dim: table.dim, byId: table.rows, source: file };
}

function readNpyTable(file: string, idsFile: string, wanted: ReadonlySet<string>) {
  if (!fs.existsSync(idsFile)) throw new ClsDataError(file, undefined, `ids file ${idsFile} not found (one sample id per line, row i = line i)`);
  const m = readNpyFile(file);
  if (m.shape.length !== 2) throw new ClsDataError(file, undefined, `expected a 2-D [n, d] matrix, got shape [${m.shape.join(', ')}]`);
  const [n, dim] = m.shape;
  const idLines = readTextFile(idsFile).split(/\r\n|\r|\n/);
  while (idLines.length > 0 && idLines[idLines.length - 1].trim() === '') idLines.pop();
  if (idLines.length !== n) throw new ClsDataError(idsFile, undefined, `${idLines.length} ids but ${file} has ${n} rows`);
  const rows = new Map<string, Float32Array>();
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = idLines[i].trim();
    if (id.length === 0) throw new ClsDataError(idsFile, i + 1, 'empty id');
    const prev = seen.get(id);
    if (prev !== undefined) throw new ClsDataError(idsFile, i + 1, `duplicate id '${id}' (first at line ${prev})`);
    seen.set(id, i + 1);
    if (!wanted.has(id)) continue;
    const v = m.data.slice(i * dim, (i + 1) * dim);
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(v[j])) throw new ClsDataError(file, { id }, `non-finite value at row ${i}, column ${j}`);
    }
    rows.set(id, v);
  }
  return { dim, rows, where: () => `not in ${idsFile}` };
}

function readJsonlTable(file: string, wanted: ReadonlySet<string>) {
  const rows = new Map<string, Float32Array>();
  const seen = new Map<string, number>();
  let dim = -1;
  let dimLine = 0;
  for (const { line, text } of numberedLines(readTextFile(file))) {
    let obj: { id?: unknown; feature?: unknown };
    try {
      obj = JSON.parse(text) as { id?: unknown; feature?: unknown };
    } catch (err) {
      throw new ClsDataError(file, line, `invalid JSON (${(err as Error).message})`);
    }
    const id = typeof obj.id === 'number' && Number.isInteger(obj.id) ? String(obj.id) : obj.id;
    if (typeof id !== 'string' || id.length === 0) throw new ClsDataError(file, line, 'missing or invalid "id"');
    if (!Array.isArray(obj.feature)) throw new ClsDataError(file, line, `sample ${id}: "feature" must be an array of numbers`);
    const feat = obj.feature as unknown[];
    if (dim < 0) {
      dim = feat.length;
      dimLine = line;
      if (dim === 0) throw new ClsDataError(file, line, `sample ${id}: empty "feature"`);
    } else if (feat.length !== dim) {
      throw new ClsDataError(file, line, `sample ${id}: feature has ${feat.length} values, expected ${dim} (as on line ${dimLine})`);
    }
    const prev = seen.get(id);
    if (prev !== undefined) throw new ClsDataError(file, line, `duplicate id '${id}' (first at line ${prev})`);
    seen.set(id, line);
    if (!wanted.has(id)) continue;
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      const x = feat[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new ClsDataError(file, line, `sample ${id}: value ${j} is not a finite number (${JSON.stringify(x)})`);
      v[j] = x;
    }
    rows.set(id, v);
  }
  if (dim < 0) throw new ClsDataError(file, undefined, 'no feature rows');
  return { dim, rows, where: () => 'no line with this id' };
}

/**
 * Attach `features` to each sample as the modality `modality` ({@link FeatureModality}),
 * returning new sample objects (the inputs are not mutated). Error: a sample without a vector.
 */
export function attachFeatures(samples: readonly Sample[], modality: string, features: SampleFeatures): Sample[] {
  return samples.map((s) => {
    const data = features.byId.get(s.id);
    if (!data) throw new ClsDataError(features.source, { id: s.id }, `no feature vector for this sample`);
    return { ...s, modalities: { ...s.modalities, [modality]: { kind: 'features', data, source: features.source } } };
  });
}
