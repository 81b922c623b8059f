/**
 * From a loaded classification dataset (cls-data) to the per-split, per-modality inputs of the
 * encoders: word ids over the dataset's shipped GloVe vocabulary (cls-data/bow.ts), precomputed
 * feature vectors, or pixels; and the noisy test sets of QMF's protocol (cls-data/noise.ts).
 */
import { BLANK_WORD, addFeatureNoise, addImageNoise, addTextNoise } from './noise';
import type { BowVocabulary } from './bow';
import { readImageFile, resizeBilinear, type RgbImage } from '../src/image';
import type { ClsDataset, ModalityValue, Sample } from './sample';
import { Rng } from '../src/rng';
import { tokenize } from '../src/word_vectors';
import type { ModalityColumn, SplitInputs } from '../src/classification/types';

/**
 * Word ids of the run: 0 = the unknown word (QMF's `_` blank, and the whole text when no word of
 * it has a vector), i + 1 = vocabulary row i. The unknown word has its own embedding row (as
 * BERT's [UNK] has), initialised to the mean of the vocabulary vectors; an empty bag would give
 * an all-zero feature vector, whose L2 normalisation in L_mdke has no gradient (0/0).
 */
export class WordIndex {
  constructor(readonly vocab: BowVocabulary) {}

  /** Rows of the embedding table: the vocabulary plus the unknown word at 0. */
  get size(): number {
    return this.vocab.words.length + 1;
  }

  /** Initial table [size * dim]: row 0 = the mean vector (unknown word), then the GloVe vectors. */
  initialVectors(): Float32Array {
    const d = this.vocab.dim;
    const V = this.vocab.words.length;
    const out = new Float32Array(this.size * d);
    out.set(this.vocab.vectors, d);
    for (let i = 0; i < V; i++) for (let j = 0; j < d; j++) out[j] += this.vocab.vectors[i * d + j] / V;
    return out;
  }

  /**
   * Ids of a text: split on single spaces (as QMF's noise does), a piece equal to the blank `_`
   * becomes the unknown word (QMF feeds it to the model as a token), any other piece is
   * tokenised (src/word_vectors.ts tokenize) and its tokens with a vector are kept (tokens
   * without one are skipped, as cls-data's BowVocabulary.tokenIds); a text left without any
   * id is the single unknown word.
   */
  ids(text: string): Int32Array {
    const out: number[] = [];
    for (const piece of text.split(' ')) {
      if (piece === BLANK_WORD) {
        out.push(0);
        continue;
      }
      for (const t of tokenize(piece)) {
        const i = this.vocab.index.get(t);
        if (i !== undefined) out.push(i + 1);
      }
    }
    if (out.length === 0) out.push(0);
    return Int32Array.from(out);
  }
}

/** Options of {@link splitInputs}. */
export interface SplitInputOptions {
  /** Word ids of text modalities. */
  readonly words?: WordIndex;
  /** Image side after resizing (pixels and image files). */
  readonly imageSize: number;
}

function toPixels(v: ModalityValue, size: number): RgbImage {
  const img = v.kind === 'pixels' ? v.image : v.kind === 'image-file' ? readImageFile(v.path) : undefined;
  if (!img) throw new Error(`not an image modality (${v.kind})`);
  return img.width === size && img.height === size ? img : resizeBilinear(img, size, size);
}

/** The encoder inputs of `samples` for `modalities` (every sample must have each of them). */
export function splitInputs(name: string, samples: readonly Sample[], modalities: readonly string[], opts: SplitInputOptions): SplitInputs {
  const labels = Int32Array.from(samples, (s) => s.label);
  const columns: Record<string, ModalityColumn> = {};
  for (const m of modalities) {
    const values = samples.map((s) => {
      const v = s.modalities[m];
      if (!v) throw new Error(`split ${name}: sample ${s.id} has no modality '${m}'`);
      return v;
    });
    const kind = values.length > 0 ? values[0].kind : 'text';
    const family = (k: string): string => (k === 'pixels' || k === 'image-file' ? 'image' : k);
    if (values.some((v) => family(v.kind) !== family(kind))) {
      throw new Error(`split ${name}: modality '${m}' mixes kinds (${[...new Set(values.map((v) => v.kind))].join(', ')})`);
    }
    if (kind === 'text') {
      if (!opts.words) throw new Error(`modality '${m}' is text but no vocabulary was given`);
      const w = opts.words;
      columns[m] = { kind: 'tokens', ids: values.map((v) => w.ids((v as { text: string }).text)), vocabSize: w.size };
    } else if (kind === 'features') {
      const data = values.map((v) => (v as { data: Float32Array }).data);
      const dim = data.length > 0 ? data[0].length : 0;
      if (data.some((d) => d.length !== dim)) throw new Error(`split ${name}: modality '${m}' has feature vectors of different lengths`);
      const source = (values[0] as { source?: string }).source ?? 'user features';
      columns[m] = { kind: 'features', dim, data, source };
    } else {
      const imgs = values.map((v) => toPixels(v, opts.imageSize));
      columns[m] = { kind: 'pixels', height: opts.imageSize, width: opts.imageSize, data: imgs.map((i) => i.data) };
    }
  }
  return { name, size: samples.length, labels, columns };
}

/**
 * Samples with QMF's test-time noise at level eps on every modality: words (the post text and
 * also HFM's attribute words, which are words) by {@link addTextNoise}, images by
 * {@link addImageNoise}, precomputed features by {@link addFeatureNoise} (this project's analogue,
 * not QMF's). Each modality draws from its own stream `rng.derive(modality)`.
 */
export function noisySamples(samples: readonly Sample[], modalities: readonly string[], eps: number, rng: Rng): Sample[] {
  if (eps === 0) return [...samples];
  const streams = new Map(modalities.map((m) => [m, rng.derive(`noise-${m}`)]));
  return samples.map((s) => {
    const mods: Record<string, ModalityValue> = { ...s.modalities };
    for (const m of modalities) {
      const v = s.modalities[m];
      const r = streams.get(m)!;
      if (!v) continue;
      if (v.kind === 'text') {
        const text = addTextNoise(v.text, eps, r);
        mods[m] = { kind: 'text', text };
      } else if (v.kind === 'features') {
        mods[m] = { ...v, data: addFeatureNoise(v.data, eps, r) };
      } else if (v.kind === 'pixels') {
        mods[m] = { kind: 'pixels', image: addImageNoise(v.image, eps, r) };
      } else {
        mods[m] = { kind: 'pixels', image: addImageNoise(readImageFile(v.path), eps, r) };
      }
    }
    return { ...s, modalities: mods };
  });
}

/** The modalities of a run: `predominant` first, then the others in dataset order (or `wanted`). */
export function orderModalities(ds: ClsDataset, predominant: string, wanted: readonly string[] = []): string[] {
  const avail = ds.modalities;
  const list = wanted.length > 0 ? [...wanted] : [...avail];
  for (const m of list) if (!avail.includes(m)) throw new Error(`dataset ${ds.name} has no modality '${m}' (has: ${avail.join(', ')})`);
  if (!list.includes(predominant)) throw new Error(`predominant modality '${predominant}' is not among the run's modalities (${list.join(', ')})`);
  return [predominant, ...list.filter((m) => m !== predominant)];
}
