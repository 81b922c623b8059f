/**
 * Modality encoders f^m that need no download (no pre-trained BERT or ImageNet ResNet weights
 * can be fetched on the machines this runs on):
 * - {@link EmbeddingBagEncoder}: bag of words over a host-side embedding table initialised from
 *   the shipped GloVe-100 vocabulary vectors (cls-data/bow.ts), trainable (sparse lazy Adam on
 *   the rows a batch touches) or fixed (the "mean-BoW features" option); vector mode pools the
 *   words, tokens mode hands the word vectors to a token model (MMBT).
 * - {@link FeatureEncoder}: precomputed per-sample vectors of any tool (ResNet, BERT, CLIP ...).
 * - {@link CnnImageEncoder}: a small CNN trained from scratch on pixels.
 * Every encoder may add a hidden layer (`hidden > 0`: h = relu(x W + b), vector mode only).
 *
 * The embedding tables are not tf variables: tf.gather's gradient needs UnsortedSegmentSum, which
 * the wasm backend lacks (and tfjs cpu's ran out of memory on a 15,000-row table). The pooled
 * rows enter the differentiable pass as inputs; their gradient comes back to the host and is
 * scattered into the table.
 */
import * as tf from '@tensorflow/tfjs';
import { addLinear, linear } from '../linear';
import { SparseAdam, SparseGradient } from '../optim';
import { glorotUniform, type ParamStore, type ParamTensors } from '../params';
import type { Rng } from '../rng';
import { matMulFast } from '../tf_ops';
import type { EncodedBatch, FeatureMode, ModalityEncoder, SplitInputs } from './types';

/** Options shared by the encoders. */
export interface EncoderCommon {
  readonly modality: string;
  readonly mode: FeatureMode;
  /** Hidden layer width after the raw features (0 = none; vector mode only). */
  readonly hidden: number;
  readonly store: ParamStore;
  readonly rng: Rng;
}

function column(split: SplitInputs, modality: string) {
  const c = split.columns[modality];
  if (!c) throw new Error(`split '${split.name}' has no modality '${modality}' (has: ${Object.keys(split.columns).join(', ')})`);
  return c;
}

/** Adds the optional hidden layer `enc.<modality>.hidden`; returns the output width. */
function addHidden(o: EncoderCommon, raw: number): number {
  if (o.mode !== 'vector' || o.hidden <= 0) return raw;
  addLinear(o.store, o.rng, `enc.${o.modality}.hidden`, raw, o.hidden);
  return o.hidden;
}

function applyHidden(o: EncoderCommon, x: tf.Tensor2D, p: ParamTensors): tf.Tensor2D {
  if (o.mode !== 'vector' || o.hidden <= 0) return x;
  return tf.relu(linear(x, p, `enc.${o.modality}.hidden`)) as tf.Tensor2D;
}

/** Options of {@link EmbeddingBagEncoder}. */
export interface EmbeddingBagOptions extends EncoderCommon {
  /** Initial vectors [vocabSize * dim] (row 0 = the unknown word; trained like the others). */
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly trainable: boolean;
  /** Pooling of vector mode: mean over all words of the sample (unknown words included) or sum. */
  readonly pooling: 'mean' | 'sum';
  /** Tokens mode: words kept per sample (longer texts are cut, shorter ones padded with zeros). */
  readonly maxTokens: number;
  /** Learning rate of the table (lazy sparse Adam). */
  readonly lr: number;
  readonly source: string;
}

/**
 * Bag-of-words encoder over a host-side embedding table. Vector mode: x = pool(E[w] for the
 * words w of the sample) [B, dim] (then the optional hidden layer); tokens mode: the first
 * `maxTokens` word vectors, zero-padded, flattened to [B, maxTokens * dim].
 */
export class EmbeddingBagEncoder implements ModalityEncoder {
  readonly modality: string;
  readonly mode: FeatureMode;
  readonly dim: number;
  readonly tokenDim: number;
  readonly description: string;
  readonly table: Float32Array;
  private readonly vocabSize: number;
  private readonly opt?: SparseAdam;
  private readonly grad?: SparseGradient;

  constructor(private readonly o: EmbeddingBagOptions) {
    this.modality = o.modality;
    this.mode = o.mode;
    this.vocabSize = o.vectors.length / o.dim;
    if (!Number.isInteger(this.vocabSize)) throw new Error(`${o.modality}: vectors length ${o.vectors.length} is not a multiple of ${o.dim}`);
    this.table = Float32Array.from(o.vectors);
    this.tokenDim = o.dim;
    this.dim = o.mode === 'tokens' ? o.maxTokens * o.dim : addHidden(o, o.dim);
    if (o.trainable) {
      this.opt = new SparseAdam(this.vocabSize, o.dim, { lr: o.lr });
      this.grad = new SparseGradient(this.vocabSize, o.dim);
    }
    const pool = o.mode === 'tokens' ? `${o.maxTokens} word tokens` : `${o.pooling} pooling`;
    this.description = `BoW(${o.source}), ${o.trainable ? 'trainable' : 'fixed'}, ${pool}${o.mode === 'vector' && o.hidden > 0 ? `, hidden ${o.hidden}` : ''}`;
  }

  /** Host-side input [B * width] of the batch. */
  private gather(ids: readonly Int32Array[], rows: Int32Array): Float32Array {
    const d = this.o.dim;
    const T = this.table;
    if (this.mode === 'tokens') {
      const L = this.o.maxTokens;
      const out = new Float32Array(rows.length * L * d);
      rows.forEach((r, i) => {
        const w = ids[r];
        const n = Math.min(L, w.length);
        for (let t = 0; t < n; t++) out.set(T.subarray(w[t] * d, w[t] * d + d), (i * L + t) * d);
      });
      return out;
    }
    const out = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      const w = ids[r];
      const off = i * d;
      for (let t = 0; t < w.length; t++) {
        const src = w[t] * d;
        for (let j = 0; j < d; j++) out[off + j] += T[src + j];
      }
      if (this.o.pooling === 'mean' && w.length > 0) for (let j = 0; j < d; j++) out[off + j] /= w.length;
    });
    return out;
  }

  batch(split: SplitInputs, rows: Int32Array, training: boolean): EncodedBatch {
    const c = column(split, this.modality);
    if (c.kind !== 'tokens') throw new Error(`${this.modality}: the bag-of-words encoder needs words, got ${c.kind}`);
    if (c.vocabSize > this.vocabSize) throw new Error(`${this.modality}: split '${split.name}' uses ${c.vocabSize} word ids, the table has ${this.vocabSize}`);
    const width = this.mode === 'tokens' ? this.o.maxTokens * this.o.dim : this.o.dim;
    const x = tf.tensor2d(this.gather(c.ids, rows), [rows.length, width]);
    const trainable = training && this.o.trainable;
    return {
      diff: trainable ? [x] : [],
      features: (diff, p) => applyHidden(this.o, (trainable ? diff[0] : x) as tf.Tensor2D, p),
      backward: trainable ? (grads) => this.accumulate(c.ids, rows, grads[0]) : undefined,
      dispose: () => x.dispose(),
    };
  }

  private accumulate(ids: readonly Int32Array[], rows: Int32Array, g: Float32Array): void {
    const d = this.o.dim;
    const sg = this.grad!;
    const add = (word: number, src: number, scale: number) => {
      const off = sg.offset(word);
      const buf = sg.grads;
      for (let j = 0; j < d; j++) buf[off + j] += scale * g[src + j];
    };
    rows.forEach((r, i) => {
      const w = ids[r];
      if (this.mode === 'tokens') {
        const L = this.o.maxTokens;
        for (let t = 0; t < Math.min(L, w.length); t++) add(w[t], (i * L + t) * d, 1);
      } else {
        const scale = this.o.pooling === 'mean' && w.length > 0 ? 1 / w.length : 1;
        for (let t = 0; t < w.length; t++) add(w[t], i * d, scale);
      }
    });
  }

  step(): void {
    if (!this.opt || !this.grad || this.grad.count === 0) return;
    this.opt.step(this.table, this.o.dim, this.grad.rows, this.grad.count, this.grad.grads);
    this.grad.reset();
  }

  snapshot(): Float32Array[] {
    return [this.table.slice()];
  }

  restore(state: Float32Array[]): void {
    this.table.set(state[0]);
  }
}

/** Precomputed per-sample feature vectors (vector mode: optional hidden layer; tokens mode: one token). */
export class FeatureEncoder implements ModalityEncoder {
  readonly modality: string;
  readonly mode: FeatureMode;
  readonly dim: number;
  readonly tokenDim: number;
  readonly description: string;

  constructor(private readonly o: EncoderCommon & { readonly inputDim: number; readonly source: string }) {
    this.modality = o.modality;
    this.mode = o.mode;
    this.tokenDim = o.inputDim;
    this.dim = addHidden(o, o.inputDim);
    this.description = `precomputed features (${o.source}, ${o.inputDim}-d)${o.mode === 'vector' && o.hidden > 0 ? `, hidden ${o.hidden}` : ''}`;
  }

  batch(split: SplitInputs, rows: Int32Array): EncodedBatch {
    const c = column(split, this.modality);
    if (c.kind !== 'features') throw new Error(`${this.modality}: the feature encoder needs feature vectors, got ${c.kind}`);
    if (c.dim !== this.o.inputDim) throw new Error(`${this.modality}: split '${split.name}' has ${c.dim}-d features, expected ${this.o.inputDim}`);
    const data = new Float32Array(rows.length * c.dim);
    rows.forEach((r, i) => data.set(c.data[r], i * c.dim));
    const x = tf.tensor2d(data, [rows.length, c.dim]);
    return { diff: [], features: (_d, p) => applyHidden(this.o, x, p), dispose: () => x.dispose() };
  }
}

/**
 * A small CNN trained from scratch (no ImageNet weights exist on our machines): pixels / 255 ->
 * [conv 3x3 -> ReLU -> 2x2 average pool] x 2 (channels c1, c2) -> global average -> linear to
 * `outDim` -> ReLU. The 3x3 "same" convolutions are written as 9 shifted slices and one matMul
 * (im2col), because the wasm backend has no Conv2DBackpropFilter kernel. Tokens mode: the
 * pooled vector is one token.
 */
export class CnnImageEncoder implements ModalityEncoder {
  readonly modality: string;
  readonly mode: FeatureMode;
  readonly dim: number;
  readonly tokenDim: number;
  readonly description: string;
  private readonly channels: [number, number];

  constructor(private readonly o: EncoderCommon & { readonly outDim: number; readonly channels?: [number, number] }) {
    this.modality = o.modality;
    this.mode = o.mode;
    this.channels = o.channels ?? [16, 32];
    const [c1, c2] = this.channels;
    const name = `enc.${o.modality}.cnn`;
    o.store.add(`${name}.k1`, [9 * 3, c1], glorotUniform(o.rng.derive(`${name}.k1`), 27, c1));
    o.store.add(`${name}.b1`, [c1]);
    o.store.add(`${name}.k2`, [9 * c1, c2], glorotUniform(o.rng.derive(`${name}.k2`), 9 * c1, c2));
    o.store.add(`${name}.b2`, [c2]);
    addLinear(o.store, o.rng, `${name}.out`, c2, o.outDim);
    this.tokenDim = o.outDim;
    this.dim = addHidden(o, o.outDim);
    this.description = `small CNN from scratch (conv ${c1}-${c2}, ${o.outDim}-d)`;
  }

  /** 3x3 same convolution of x [B, H, W, C] with kernel k [9C, Cout] (im2col). */
  static conv3x3(x: tf.Tensor4D, k: tf.Tensor2D, b: tf.Tensor): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const cols: tf.Tensor4D[] = [];
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) cols.push(tf.slice(padded, [0, dy, dx, 0], [B, H, W, C]));
    const patches = tf.reshape(tf.concat(cols, 3), [B * H * W, 9 * C]) as tf.Tensor2D;
    const out = tf.add(matMulFast(patches, k), b);
    return tf.reshape(out, [B, H, W, k.shape[1]]) as tf.Tensor4D;
  }

  batch(split: SplitInputs, rows: Int32Array): EncodedBatch {
    const c = column(split, this.modality);
    if (c.kind !== 'pixels') throw new Error(`${this.modality}: the CNN encoder needs pixels, got ${c.kind}`);
    const { height: H, width: W } = c;
    const data = new Float32Array(rows.length * H * W * 3);
    rows.forEach((r, i) => {
      const px = c.data[r];
      for (let j = 0; j < H * W * 3; j++) data[i * H * W * 3 + j] = px[j] / 255;
    });
    const x = tf.tensor4d(data, [rows.length, H, W, 3]);
    const name = `enc.${this.modality}.cnn`;
    return {
      diff: [],
      features: (_d, p) => {
        let y = tf.avgPool(tf.relu(CnnImageEncoder.conv3x3(x, p[`${name}.k1`] as tf.Tensor2D, p[`${name}.b1`])) as tf.Tensor4D, 2, 2, 'valid');
        y = tf.avgPool(tf.relu(CnnImageEncoder.conv3x3(y, p[`${name}.k2`] as tf.Tensor2D, p[`${name}.b2`])) as tf.Tensor4D, 2, 2, 'valid');
        const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
        return applyHidden(this.o, tf.relu(linear(pooled, p, `${name}.out`)) as tf.Tensor2D, p);
      },
      dispose: () => x.dispose(),
    };
  }
}
