/**
 * Registry of the multimodal classification datasets (text side only): DESCRIPTIONS of their
 * files (sizes, sha256, pinned URLs, licences; see cls-data/README.md), found in the data home
 * (kg-data/data_home.ts) and fetched by `mmkge download NAME`; and a loader for user directories
 * holding the same file formats (QMF/MMBT jsonl, CLMLF json, original HFM text files).
 *
 * Official splits are used where the files have them. Where a split is missing the loader builds
 * it with a seeded, label-stratified split ({@link stratifiedSplit}) and says so in `notes`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataFileDescription } from '../src/download';
import { findDataFile, requireDataset, type DataHomeEntry } from '../kg-data/data_home';
import { Rng } from '../src/rng';
import { attachFeatures, loadSampleFeatures } from './features';
import { readClmlfJson, readHfmAttributes, readHfmOriginal, readQmfJsonl, rowsToSamples, type RawClsRow } from './loaders';
import { ClsDataError, allSamples, commonModalities, type ClsDataset, type Sample } from './sample';

/** File formats of a dataset directory. */
export type ClsFormat = 'qmf-jsonl' | 'clmlf-json' | 'hfm-original';

/** Split file names looked for per format (each also with `.gz`); first existing wins. */
export const SPLIT_FILES: Readonly<Record<ClsFormat, { train: string[]; dev: string[]; test: string[]; extra: Record<string, string[]> }>> = {
  'qmf-jsonl': { train: ['train.jsonl'], dev: ['dev.jsonl'], test: ['test.jsonl'], extra: { test_hard: ['test_hard_gt.jsonl'] } },
  'clmlf-json': { train: ['train.json'], dev: ['dev.json', 'valid.json'], test: ['test.json'], extra: {} },
  'hfm-original': { train: ['train.txt'], dev: ['valid2.txt', 'valid.txt'], test: ['test2.txt', 'test.txt'], extra: {} },
};

/** Image-attribute files looked for in a directory (HFM `extract_all`), each also with `.gz`. */
export const ATTRIBUTE_FILES = ['extract_all', 'attributes.txt'];

/** Options of {@link loadClsDirectory} and {@link loadClsDataset}. */
export interface ClsLoadOptions {
  /** File format; found from the file names when absent (an error if two formats match). */
  readonly format?: ClsFormat;
  /**
   * Class names. jsonl: the label strings, in index order (default: sorted distinct labels of
   * all splits). CLMLF/HFM: name of integer label k is labels[k] (default `'0'`, `'1'`, ...).
   */
  readonly labels?: readonly string[];
  /**
   * HFM-style attribute file (`['id', w1..w5]` per line) -> text modality `attributes`.
   * Default: `extract_all[.gz]` or `attributes.txt[.gz]` in the directory if present; `false` = none.
   */
  readonly attributesFile?: string | false;
  /** Folder of the images; when given, every sample gets an `image` modality (an image file). */
  readonly imageRoot?: string;
  /** `<id><ext>` image names for formats without an image path (default `.jpg`). */
  readonly imageExtension?: string;
  /** What to do with a sample whose image file does not exist: `'error'` (default) or `'omit'` the modality. */
  readonly missingImages?: 'error' | 'omit';
  /** Precomputed features per modality name: a file, or a file with its ids file (cls-data/features.ts). */
  readonly features?: Readonly<Record<string, string | { readonly file: string; readonly idsFile?: string; readonly dim?: number }>>;
  /** Seed of the splits this loader builds (default 0). */
  readonly seed?: number;
  /** Fraction of samples a built split holds out (default 0.2). */
  readonly devFraction?: number;
  /** Display name (default: the directory). */
  readonly name?: string;
}

function findFile(dir: string, candidates: readonly string[]): string | undefined {
  for (const c of candidates) {
    for (const f of [c, `${c}.gz`]) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
  }
  return undefined;
}

function detectFormat(dir: string): ClsFormat {
  const found = (Object.keys(SPLIT_FILES) as ClsFormat[]).filter((f) => {
    const s = SPLIT_FILES[f];
    return findFile(dir, [...s.train, ...s.dev, ...s.test]) !== undefined;
  });
  if (found.length === 0) {
    const names = Object.values(SPLIT_FILES).flatMap((s) => [...s.train, ...s.dev, ...s.test]);
    throw new ClsDataError(dir, undefined, `no split files: looked for ${[...new Set(names)].join(', ')} (optionally .gz)`);
  }
  if (found.length > 1) throw new ClsDataError(dir, undefined, `ambiguous format: files of ${found.join(' and ')} found; pass options.format`);
  return found[0];
}

function readRows(format: ClsFormat, file: string): RawClsRow[] {
  if (format === 'qmf-jsonl') return readQmfJsonl(file);
  if (format === 'clmlf-json') return readClmlfJson(file);
  return readHfmOriginal(file);
}

/**
 * Seeded label-stratified split: for each label (in index order) its samples are shuffled by
 * `rng` and round(count * fraction) go to `held`; both parts keep the input order.
 */
export function stratifiedSplit<T extends { readonly label: number }>(samples: readonly T[], fraction: number, rng: Rng): { kept: T[]; held: T[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`stratifiedSplit: fraction must be in (0, 1), got ${fraction}`);
  const byLabel = new Map<number, number[]>();
  samples.forEach((s, i) => {
    const list = byLabel.get(s.label);
    if (list) list.push(i);
    else byLabel.set(s.label, [i]);
  });
  const heldIdx = new Set<number>();
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byLabel.get(label)!.slice());
    const k = Math.round(idx.length * fraction);
    for (let j = 0; j < k; j++) heldIdx.add(idx[j]);
  }
  const kept: T[] = [];
  const held: T[] = [];
  samples.forEach((s, i) => (heldIdx.has(i) ? held : kept).push(s));
  return { kept, held };
}

/**
 * Load a dataset directory (see {@link SPLIT_FILES} for the names looked for). Needs a test
 * split; a missing dev split is carved from train, and a missing train split is carved from dev
 * (as for Food101, whose files have only QMF's dev and test), both by
 * {@link stratifiedSplit} with `seed` and `devFraction`, recorded in `notes`.
 * Errors name the file and the line or sample id (malformed rows, unknown labels, duplicate ids
 * across splits, missing attributes/features/images).
 */
export async function loadClsDirectory(dir: string, opts: ClsLoadOptions = {}): Promise<ClsDataset> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ClsDataError(dir, undefined, 'not a directory');
  const format = opts.format ?? detectFormat(dir);
  const names = SPLIT_FILES[format];
  const files = { train: findFile(dir, names.train), dev: findFile(dir, names.dev), test: findFile(dir, names.test) };
  if (!files.test) throw new ClsDataError(dir, undefined, `no test split: looked for ${names.test.join(', ')} (optionally .gz)`);
  if (!files.train && !files.dev) throw new ClsDataError(dir, undefined, `need a train or a dev split: looked for ${[...names.train, ...names.dev].join(', ')}`);
  const extraFiles: Record<string, string> = {};
  for (const [k, cands] of Object.entries(names.extra)) {
    const f = findFile(dir, cands);
    if (f) extraFiles[k] = f;
  }
  const rows: Record<string, { file: string; rows: RawClsRow[] }> = {};
  for (const [split, file] of [...Object.entries(files), ...Object.entries(extraFiles)]) {
    if (file) rows[split] = { file, rows: readRows(format, file) };
  }

  const labels = resolveLabels(format, Object.values(rows), opts.labels);
  const labelIndex = new Map<string, number>();
  if (format === 'qmf-jsonl') labels.forEach((l, i) => labelIndex.set(l, i));
  else labels.forEach((_, i) => labelIndex.set(String(i), i));

  const attributesFile = opts.attributesFile === false ? undefined : (opts.attributesFile ?? findFile(dir, ATTRIBUTE_FILES));
  const attributes = attributesFile ? readHfmAttributes(attributesFile) : undefined;
  const notes: string[] = [`format ${format}; files: ${Object.values(rows).map((r) => r.file).join(', ')}`];
  if (attributesFile) notes.push(`modality 'attributes': image-attribute words from ${attributesFile}`);
  const toSamples = (split: string): Sample[] =>
    rows[split] ? rowsToSamples(rows[split].file, rows[split].rows, labelIndex, { attributes, attributesFile, imageRoot: opts.imageRoot, imageExtension: opts.imageExtension }) : [];

  let train = toSamples('train');
  let dev = toSamples('dev');
  const test = toSamples('test');
  const extraSplits: Record<string, Sample[]> = {};
  for (const k of Object.keys(extraFiles)) extraSplits[k] = toSamples(k);

  const seed = opts.seed ?? 0;
  const fraction = opts.devFraction ?? 0.2;
  if (!files.train) {
    const { kept, held } = stratifiedSplit(dev, fraction, new Rng(seed).derive('cls-data/train-dev-split'));
    notes.push(
      `no train split in ${dir}: train (${kept.length}) and dev (${held.length}) were BUILT from ${files.dev} by a label-stratified split (dev fraction ${fraction}, seed ${seed}); not an official split`,
    );
    train = kept;
    dev = held;
  } else if (!files.dev) {
    const { kept, held } = stratifiedSplit(train, fraction, new Rng(seed).derive('cls-data/train-dev-split'));
    notes.push(`no dev split in ${dir}: dev (${held.length}) was BUILT from ${files.train} by a label-stratified split (fraction ${fraction}, seed ${seed}); not an official split`);
    train = kept;
    dev = held;
  }

  let ds: ClsDataset = { name: opts.name ?? dir, labels, train, dev, test, extraSplits, modalities: [], notes };
  checkDisjoint(ds, { train: files.train ?? files.dev!, dev: files.dev ?? files.train!, test: files.test });
  if (opts.imageRoot !== undefined) ds = checkImages(ds, opts.imageRoot, opts.missingImages ?? 'error');
  for (const [modality, spec] of Object.entries(opts.features ?? {})) {
    const s = typeof spec === 'string' ? { file: spec } : spec;
    const feats = loadSampleFeatures(s.file, allSamples(ds).map((x) => x.id), { idsFile: s.idsFile, dim: s.dim });
    ds = mapSplits(ds, (xs) => attachFeatures(xs, modality, feats));
    ds.notes.push(`modality '${modality}': precomputed features [${feats.dim}] from ${s.file}`);
  }
  return { ...ds, modalities: commonModalities(allSamples(ds)) };
}

function resolveLabels(format: ClsFormat, parts: { file: string; rows: RawClsRow[] }[], given: readonly string[] | undefined): string[] {
  if (format === 'qmf-jsonl') {
    if (given) return [...given];
    return [...new Set(parts.flatMap((p) => p.rows.map((r) => r.label)))].sort();
  }
  let max = -1;
  for (const p of parts) for (const r of p.rows) max = Math.max(max, Number(r.label));
  if (given) {
    if (given.length <= max) {
      const bad = parts.flatMap((p) => p.rows.map((r) => ({ p, r }))).find(({ r }) => Number(r.label) >= given.length)!;
      throw new ClsDataError(bad.p.file, bad.r.line, `sample ${bad.r.id}: label ${bad.r.label} but only ${given.length} class names were given (${given.join(', ')})`);
    }
    return [...given];
  }
  return Array.from({ length: max + 1 }, (_, k) => String(k));
}

function checkDisjoint(ds: ClsDataset, splitFiles: Record<'train' | 'dev' | 'test', string>): void {
  const where = new Map<string, string>();
  for (const split of ['train', 'dev', 'test'] as const) {
    for (const s of ds[split]) {
      const prev = where.get(s.id);
      if (prev !== undefined) throw new ClsDataError(splitFiles[split], { id: s.id }, `sample id also in the ${prev} split (${splitFiles[prev as 'train']})`);
      where.set(s.id, split);
    }
  }
}

function mapSplits(ds: ClsDataset, f: (xs: Sample[]) => Sample[]): ClsDataset {
  const extra: Record<string, Sample[]> = {};
  for (const [k, v] of Object.entries(ds.extraSplits)) extra[k] = f(v);
  return { ...ds, train: f(ds.train), dev: f(ds.dev), test: f(ds.test), extraSplits: extra };
}

function checkImages(ds: ClsDataset, root: string, mode: 'error' | 'omit'): ClsDataset {
  let missing = 0;
  const out = mapSplits(ds, (xs) =>
    xs.map((s) => {
      const m = s.modalities.image;
      if (!m || m.kind !== 'image-file' || fs.existsSync(m.path)) return s;
      if (mode === 'error') throw new ClsDataError(m.path, { id: s.id }, `image file not found (imageRoot ${root}; use missingImages: 'omit' to drop the modality)`);
      missing++;
      const { image: _dropped, ...rest } = s.modalities;
      return { ...s, modalities: rest };
    }),
  );
  out.notes.push(missing > 0 ? `modality 'image': files under ${root}; ${missing} samples have no image file (modality omitted)` : `modality 'image': files under ${root}`);
  return out;
}

/** Names of the registry classification datasets. */
export type ClsDatasetName = 'mvsa-single' | 'mvsa-multiple' | 'hfm' | 'food101';

/** Split sizes a variant must have (checked by the tests on real data). */
export interface ClsExpectedCounts {
  readonly train: number;
  readonly dev: number;
  readonly test: number;
  readonly extra?: Readonly<Record<string, number>>;
}

/** One file set of a dataset (a dataset can have several splits, e.g. QMF's and CLMLF's). */
export interface ClsVariant {
  /** Sub-folder of the dataset folder (`qmf`, `clmlf`, `original`). */
  readonly directory: string;
  readonly format: ClsFormat;
  readonly labels?: readonly string[];
  /** Attribute file relative to the dataset folder (HFM). */
  readonly attributesFile?: string;
  readonly expected: ClsExpectedCounts;
  /** What this variant is, printed in the dataset notes. */
  readonly description: string;
}

/** Everything known about one registry dataset: description only, the data is in the data home. */
export interface ClsDatasetDescriptor extends DataHomeEntry {
  readonly name: ClsDatasetName;
  readonly title: string;
  readonly citation: string;
  /** Terms the files come under (as far as the sources state them). */
  readonly licence: string;
  readonly defaultVariant: string;
  readonly variants: Readonly<Record<string, ClsVariant>>;
  /** The files: sizes, sha256, pinned source URLs (`mmkge download NAME` fetches them). */
  readonly files: readonly DataFileDescription[];
}

const MVSA_LABELS = ['positive', 'neutral', 'negative'] as const;
const HFM_LABELS = ['not-sarcastic', 'sarcastic'] as const;
// Commits as the shared data README names them (QMF and HFM abbreviated; the sha256 pins the bytes).
const QMF = 'https://raw.githubusercontent.com/QingyangZhang/QMF/fe6c4c6/text-image-classification/datasets';
const CLMLF = 'https://raw.githubusercontent.com/Link-Li/CLMLF/2402ef6211f2f67fe73754bbfa2d1279b5400772/dataset/data';
const HFM_REPO = 'https://raw.githubusercontent.com/headacheboy/data-of-multimodal-sarcasm-detection/f42b165';

function file(path: string, bytes: number, sha256: string, url: string, format: string): DataFileDescription {
  return { path, bytes, sha256, url, format };
}

/** The registry (folders of the data home; images exist for none of the datasets). */
export const CLS_DATASETS: Readonly<Record<ClsDatasetName, ClsDatasetDescriptor>> = {
  'mvsa-single': {
    name: 'mvsa-single',
    folders: ['mvsa-single', 'MVSA-Single'],
    marker: ['qmf/test.jsonl', 'clmlf/test.json'],
    title: 'MVSA-Single: Twitter image-text sentiment (positive / neutral / negative)',
    citation: 'Niu, Zhu, Pang, El Saddik. Sentiment Analysis on Multi-View Social Data. MMM 2016.',
    licence: 'MVSA release terms (research use); tweet texts under Twitter terms; the QMF (MIT) and CLMLF repositories redistribute the splits',
    defaultVariant: 'qmf',
    variants: {
      qmf: {
        directory: 'qmf',
        format: 'qmf-jsonl',
        labels: MVSA_LABELS,
        expected: { train: 1555, dev: 518, test: 519 },
        description: 'QMF/TMC split (QingyangZhang/QMF): the 2,592 posts whose text and image labels agree',
      },
      clmlf: {
        directory: 'clmlf',
        format: 'clmlf-json',
        labels: MVSA_LABELS,
        expected: { train: 3611, dev: 450, test: 450 },
        description: 'CLMLF split (Link-Li/CLMLF 10-flod-1): 4,511 cleaned posts, merged text/image label, 8:1:1',
      },
    },
    files: [
      file('qmf/train.jsonl', 265055, '48f04ea3c9ddc2e29ced7df1819ec8b94f2667cf19a093a02ba262b123533793', `${QMF}/MVSA_Single/train.jsonl`, 'MMBT/QMF JSON lines {id,label,text,img}, 1,555 rows'),
      file('qmf/dev.jsonl', 88152, 'b28b9022a2185dc7f18874ff04c0c62a8a6e48538c7cacf1bc46697544059aad', `${QMF}/MVSA_Single/dev.jsonl`, 'same, 518 rows'),
      file('qmf/test.jsonl', 89118, '761af22f83c0fc9343eeba7bc903cc8975ab7280d87e035169d530edf973e1c7', `${QMF}/MVSA_Single/test.jsonl`, 'same, 519 rows'),
      file('qmf/labelResultAll.txt', 108035, '371d2c41ceb7cc12e66888e791acbaf5dcabd13fa0112eb60b226c482a12378f', `${QMF}/MVSA_Single/labelResultAll.txt`, 'original annotations id<TAB>text,image for 4,869 posts'),
      file('clmlf/train.json', 562626, 'c022f1ec7801de493d6dfcdaf045fbab0d671af451ce655d85c99e2d5f23c0d9', `${CLMLF}/MVSA-single/10-flod-1/train.json`, 'JSON array {id,text,emotion_label}, 3,611 rows'),
      file('clmlf/dev.json', 71631, '7e833786abdf6991714dbce4d7e4f84dbff1b357b72fa05d2b0d59d6faf96b59', `${CLMLF}/MVSA-single/10-flod-1/dev.json`, 'same, 450 rows'),
      file('clmlf/test.json', 69496, '7dabdde2d28a94b92da3448cb6bdd50c57df0481b405c75c823b6aaa692a23b4', `${CLMLF}/MVSA-single/10-flod-1/test.json`, 'same, 450 rows'),
    ],
  },
  'mvsa-multiple': {
    name: 'mvsa-multiple',
    folders: ['mvsa-multiple', 'MVSA-Multiple'],
    marker: ['clmlf/test.json'],
    title: 'MVSA-Multiple: Twitter image-text sentiment, 3 annotators (positive / neutral / negative)',
    citation: 'Niu, Zhu, Pang, El Saddik. Sentiment Analysis on Multi-View Social Data. MMM 2016.',
    licence: 'MVSA release terms (research use); tweet texts under Twitter terms; redistributed by the CLMLF repository',
    defaultVariant: 'clmlf',
    variants: {
      clmlf: {
        directory: 'clmlf',
        format: 'clmlf-json',
        labels: MVSA_LABELS,
        expected: { train: 13624, dev: 1700, test: 1700 },
        description: 'CLMLF split (Link-Li/CLMLF 10-flod-1): 17,024 cleaned posts, 8:1:1 (no QMF-style split exists for MVSA-Multiple)',
      },
    },
    files: [
      file('clmlf/train.json', 2111128, 'e477b2e74d9f91c6fe901ddfc1efb6f0cd88d9bcaa70f69080b31c8e8e6b3867', `${CLMLF}/MVSA-multiple/10-flod-1/train.json`, 'JSON array {id,text,emotion_label}, 13,624 rows'),
      file('clmlf/dev.json', 262770, '6e008e7b795484be32a7f6ffd49aa1dc34283417f7119afda6c51d755609245b', `${CLMLF}/MVSA-multiple/10-flod-1/dev.json`, 'same, 1,700 rows'),
      file('clmlf/test.json', 260968, 'dc54b497924f0e32c1c84127a3fcc85d544d1b8e372400d2922c818541072e39', `${CLMLF}/MVSA-multiple/10-flod-1/test.json`, 'same, 1,700 rows'),
    ],
  },
  hfm: {
    name: 'hfm',
    folders: ['hfm', 'HFM'],
    marker: ['clmlf/test.json', 'original/test2.txt'],
    title: 'HFM: multimodal Twitter sarcasm detection (Cai et al. 2019)',
    citation: 'Cai, Cai, Wan. Multi-Modal Sarcasm Detection in Twitter with Hierarchical Fusion Model. ACL 2019.',
    licence: 'HFM release terms (headacheboy/data-of-multimodal-sarcasm-detection states no licence); tweet texts under Twitter terms',
    defaultVariant: 'clmlf',
    variants: {
      clmlf: {
        directory: 'clmlf',
        format: 'clmlf-json',
        labels: HFM_LABELS,
        attributesFile: 'original/extract_all',
        expected: { train: 19816, dev: 2410, test: 2409 },
        description: 'standard filtered HFM split (as in CLMLF and the HFM code): train 19,816 / valid 2,410 / test 2,409; valid/test labels are the human labels',
      },
      original: {
        directory: 'original',
        format: 'hfm-original',
        labels: HFM_LABELS,
        attributesFile: 'original/extract_all',
        expected: { train: 29040, dev: 2410, test: 2409 },
        description: 'original release before the keyword filter (train 29,040 unfiltered); valid2/test2 use the human label',
      },
    },
    files: [
      file('clmlf/train.json', 3179726, 'c9a404a9cd142f5dca28a2978e78321ebec6b164b309054de5fb80d3bf51cbd1', `${CLMLF}/HFM/train.json`, 'JSON array {id,text,emotion_label}, 19,816 rows'),
      file('clmlf/valid.json', 386278, 'c73c71d9d3a351d4cf511da6a249b4a5135f564191a816c26845a196d4cb6fd2', `${CLMLF}/HFM/valid.json`, 'same, 2,410 rows'),
      file('clmlf/test.json', 388907, 'fc19cd04768db6fc1e1507fcad0fdb3c4ddee235386fee782d144f063092d9a2', `${CLMLF}/HFM/test.json`, 'same, 2,409 rows'),
      file('original/train.txt', 3355209, '4621567e231fe453686be4a0a030265e8f0a999e0e1b8c6b0a9fe8ee84e24f57', `${HFM_REPO}/text/train.txt`, "Python list per line ['id', 'text', label], 29,040 rows"),
      file('original/valid2.txt', 275205, 'ce3136f550cb6293e4455db07fa6f9e4d3cf29e9e17a1e5c3c2759241e842c76', `${HFM_REPO}/text/valid2.txt`, "['id', 'text', hashtag_label, human_label], 2,410 rows"),
      file('original/test2.txt', 277881, '3908a8c3c170921e6fc81bef9b404965091364792aa4b2c54b486e4b74893f56', `${HFM_REPO}/text/test2.txt`, 'same, 2,409 rows'),
      file('original/extract_all', 2616730, '9cb5e4d5bb1e206b34c025417d2c3b57420a510f9b14bc0f5125293616b42830', `${HFM_REPO}/extract/extract_all`, "['image_id', 5 attribute words] per image, 36,468 rows"),
    ],
  },
  food101: {
    name: 'food101',
    folders: ['food101', 'Food101'],
    marker: ['qmf/test.jsonl'],
    title: 'UPMC Food-101: recipe web-page titles and food images, 101 classes',
    citation: 'Wang, Kumar, Thome, Cord, Precioso. Recipe recognition with large multimodal food dataset. ICME Workshops 2015.',
    licence: 'UPMC Food-101 terms (research use); redistributed by the QMF repository (MIT for its code)',
    defaultVariant: 'qmf',
    variants: {
      qmf: {
        directory: 'qmf',
        format: 'qmf-jsonl',
        expected: { train: 4004, dev: 996, test: 22715, extra: { test_hard: 4999 } },
        description:
          "QMF/MMBT files: dev 5,000 (carved from UPMC train) and the full UPMC test 22,715 (+ QMF's test_hard_gt 4,999); QMF's train.jsonl (~11 MB) is not available here, so train/dev are built from the dev file",
      },
    },
    files: [
      file('qmf/dev.jsonl', 898328, 'def4e7f088320aefca4e88c959fde40abc6b0ee5f5fb27b0d228f4bad692d7d4', `${QMF}/food101/dev.jsonl`, 'MMBT JSON lines {id,label,text,img}, 5,000 rows'),
      file('qmf/test.jsonl', 4065612, 'fd2092b2051dbef6b4e8e35277a8269c8b59c5717461e600d71119b147a7173e', `${QMF}/food101/test.jsonl`, 'same, 22,715 rows'),
      file('qmf/test_hard_gt.jsonl', 893449, '7de14a28aad04b9eb8fd6c872be7201ea6c11c3d5b7808015d82429b490d4d02', `${QMF}/food101/test_hard_gt.jsonl`, 'same, 4,999 rows (subset of test.jsonl)'),
    ],
  },
};

/** Options of {@link loadClsDataset}: those of {@link loadClsDirectory} (files fixed) plus a variant. */
export interface ClsDatasetOptions extends Omit<ClsLoadOptions, 'format' | 'labels' | 'attributesFile' | 'name'> {
  /** Which split (see {@link CLS_DATASETS}); default the dataset's `defaultVariant`. */
  readonly variant?: string;
  /** HFM: attach the `attributes` modality (default true). */
  readonly attributes?: boolean;
}

/** True if `name` is a registry classification dataset. */
export function isClsDatasetName(name: string): name is ClsDatasetName {
  return Object.prototype.hasOwnProperty.call(CLS_DATASETS, name);
}

/**
 * Load a registry dataset by name from the data home. MVSA labels are positive / neutral / negative (indices 0, 1, 2
 * = CLMLF's emotion_label), HFM labels not-sarcastic / sarcastic (0, 1), Food101 the 101 class
 * names sorted. Food101's train/dev are built from QMF's dev file (see notes).
 */
export async function loadClsDataset(name: ClsDatasetName, opts: ClsDatasetOptions = {}): Promise<ClsDataset> {
  if (!isClsDatasetName(name)) throw new Error(`unknown classification dataset '${name}' (known: ${Object.keys(CLS_DATASETS).join(', ')})`);
  const d = CLS_DATASETS[name];
  const variantName = opts.variant ?? d.defaultVariant;
  const v = d.variants[variantName];
  if (!v) throw new Error(`dataset ${name}: unknown variant '${variantName}' (known: ${Object.keys(d.variants).join(', ')})`);
  const root = requireDataset(d);
  const { variant: _v, attributes, ...rest } = opts;
  const attributesFile = v.attributesFile && attributes !== false ? (findDataFile(root, v.attributesFile) ?? path.join(root, v.attributesFile)) : false;
  const ds = await loadClsDirectory(path.join(root, v.directory), {
    ...rest,
    format: v.format,
    labels: v.labels,
    attributesFile,
    name,
  });
  ds.notes.unshift(`${d.title}; variant '${variantName}': ${v.description}`, `cite: ${d.citation}`);
  if (opts.imageRoot === undefined) ds.notes.push('no images in the data home: pass imageRoot (original images) or features (precomputed vectors) for the visual modality');
  return ds;
}
