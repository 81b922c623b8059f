/**
 * Samples and datasets of multimodal classification (the IMML paper's Table I task).
 *
 * A sample is an id, a label index and any number of named modalities. A modality is a text, an
 * image (a file to decode later, or decoded pixels) or a precomputed feature vector exported by
 * any tool. Loaders in cls-data/loaders.ts and cls-data/registry.ts build {@link ClsDataset}s.
 */

import type { RgbImage } from '../src/image';

/** A text modality (the post / title text, or HFM's image-attribute words joined by spaces). */
export interface TextModality {
  readonly kind: 'text';
  readonly text: string;
  /** The words, when the modality is a word list (HFM `attributes`: 5 words). */
  readonly words?: readonly string[];
}

/** An image on disk (JPEG or PNG), decoded on demand by src/image.ts. */
export interface ImageFileModality {
  readonly kind: 'image-file';
  /** Absolute or working-directory-relative path of the image file. */
  readonly path: string;
}

/** Decoded raw pixels. */
export interface PixelModality {
  readonly kind: 'pixels';
  readonly image: RgbImage;
}

/** A precomputed per-sample feature vector (e.g. ResNet pooled features, BERT [CLS]). */
export interface FeatureModality {
  readonly kind: 'features';
  readonly data: Float32Array;
  /** File the vector was read from. */
  readonly source?: string;
}

/** One modality of a sample. */
export type ModalityValue = TextModality | ImageFileModality | PixelModality | FeatureModality;

/**
 * One classification sample. `text` mirrors `modalities.text.text` when the sample has a text
 * modality (a shortcut for text-only code); `meta` keeps extra columns of the source file.
 */
export interface Sample {
  /** Sample id as in the source file (tweet id, MVSA post number, Food101 file name). */
  readonly id: string;
  /** Index into {@link ClsDataset.labels}. */
  readonly label: number;
  readonly text?: string;
  readonly modalities: Record<string, ModalityValue>;
  /** Extra source columns, e.g. `{img: 'data/477.jpg'}` (QMF jsonl) or HFM's `hashtagLabel`. */
  readonly meta?: Readonly<Record<string, string | number>>;
}

/** Names of the standard splits. */
export type SplitName = 'train' | 'dev' | 'test';

/** A loaded classification dataset. */
export interface ClsDataset {
  /** Registry name or the directory it was loaded from. */
  readonly name: string;
  /** Class names; a sample's `label` indexes this array. */
  readonly labels: string[];
  readonly train: Sample[];
  readonly dev: Sample[];
  readonly test: Sample[];
  /** Further evaluation splits (Food101: `test_hard` = QMF's test_hard_gt.jsonl). */
  readonly extraSplits: Record<string, Sample[]>;
  /** Modality names that every sample of every split has (e.g. `['text', 'attributes']`). */
  readonly modalities: string[];
  /** How the dataset was assembled: source files, built splits (with seed), what is missing. */
  readonly notes: string[];
}

/**
 * A data error located in a file: `file:line: problem` when a line is known, `file: sample ID:
 * problem` when a sample id is known, else `file: problem`.
 */
export class ClsDataError extends Error {
  /**
   * @param file the offending file (or directory)
   * @param where 1-based line number, or `{id}` for a sample id, or undefined
   * @param problem what is wrong, without the location prefix
   */
  constructor(
    readonly file: string,
    readonly where: number | { id: string } | undefined,
    readonly problem: string,
  ) {
    super(
      where === undefined
        ? `${file}: ${problem}`
        : typeof where === 'number'
          ? `${file}:${where}: ${problem}`
          : `${file}: sample ${where.id}: ${problem}`,
    );
    this.name = 'ClsDataError';
  }
}

/** Number of samples per label index: counts[k] = #{s : s.label = k}; length = numLabels. */
export function labelCounts(samples: readonly Sample[], numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  for (const s of samples) counts[s.label]++;
  return counts;
}

/** All samples of the dataset: train, dev, test, then the extra splits (in key order). */
export function allSamples(ds: ClsDataset): Sample[] {
  return [...ds.train, ...ds.dev, ...ds.test, ...Object.values(ds.extraSplits).flat()];
}

/** Modality names present in every sample of `samples` (order of the first sample). */
export function commonModalities(samples: readonly Sample[]): string[] {
  if (samples.length === 0) return [];
  return Object.keys(samples[0].modalities).filter((m) => samples.every((s) => m in s.modalities));
}
