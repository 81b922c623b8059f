import * as tf from '@tensorflow/tfjs';
import { pickGiven, resolveOptions, type Schema } from '../../src/options';
import { constant, type ParamStore, type ParamTensors } from '../../src/params';
import type { Rng } from '../../src/rng';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, linear, softLogitsLoss } from './common';

function addLayerNorm(store: ParamStore, name: string, d: number): void {
  store.add(`${name}.g`, [d], constant(1));
  store.add(`${name}.b`, [d]);
}

/** MMBT's options (our CPU-sized transformer; Kiela et al. 2019 use BERT-base). */
export const MMBT_OPTIONS: Schema<{ mmbtDim: number; mmbtHeads: number; mmbtLayers: number }> = {
  mmbtDim: { type: 'int', default: 64, min: 1, max: 4096, help: 'MMBT: transformer width' },
  mmbtHeads: { type: 'int', default: 4, min: 1, max: 256, help: 'MMBT: attention heads (must divide the width)' },
  mmbtLayers: { type: 'int', default: 1, min: 1, max: 64, help: 'MMBT: transformer layers' },
};

/** LayerNorm over the last axis of x [N, d] (eps 1e-12 as BERT). */
function layerNorm(x: tf.Tensor2D, p: ParamTensors, name: string): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  const xn = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-12)));
  return tf.add(tf.mul(xn, p[`${name}.g`]), p[`${name}.b`]) as tf.Tensor2D;
}

/** Swap the last two axes of a rank-4 tensor. */
function swapLast(x: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(x, [0, 1, 3, 2]);
}

/**
 * Batched a @ b ([B, H, n, k] @ [B, H, k, m]) whose gradient uses explicit transposes and plain
 * batched matMuls: tfjs' own gradient calls matMul with transpose flags, which the wasm backend
 * runs several times slower (measured ~8x on a 1024x512 @ 512x512 product, see src/tf_ops.ts).
 */
const bmm: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor4D[];
      return [tf.matMul(dy as tf.Tensor4D, swapLast(sb)), tf.matMul(swapLast(sa), dy as tf.Tensor4D)];
    },
  };
}) as never) as never;

/**
 * MMBT, the architecture of Kiela, Bhooshan, Firooz, Perez, Testuggine, "Supervised Multimodal
 * Bitransformers for Classifying Images and Text" (2019; code facebookresearch/mmbt, used as a
 * baseline by QMF and the IMML paper): the non-text modalities are projected into the token
 * space and enter a transformer encoder together with the text tokens,
 * [CLS, aux tokens..., text tokens], with position and segment embeddings; the pooled [CLS]
 * output (tanh layer) feeds a linear classifier; loss = CE.
 *
 * Our version is trained from scratch: there is no pre-trained BERT on our machines, so the
 * transformer is small (default one layer, width 64, 4 heads, ReLU feed-forward of width 128;
 * BERT uses GELU) and the text tokens are our word embeddings. It is an interpretation of the
 * architecture, not a reproduction of the pre-trained model's numbers.
 *
 * Features: every modality arrives as tokens flattened to [B, L_m * d_m] (so IMML can weigh and
 * mix them like any vector); padded token slots are all-zero vectors and are masked out of
 * the attention (a word whose embedding were exactly zero would be masked too).
 */
export class MMBT implements ClsModel {
  readonly name = 'mmbt';
  readonly label = 'MMBT';
  readonly mode = 'tokens' as const;
  private readonly lengths: number[];
  private readonly tokenDims: number[];
  private readonly d: number;
  private readonly heads: number;
  private readonly layers: number;
  private readonly T: number;

  constructor(ctx: ModelBuildContext) {
    const { store, rng } = ctx;
    const o = resolveOptions(MMBT_OPTIONS, pickGiven(MMBT_OPTIONS, ctx.options), 'mmbt');
    this.d = o.mmbtDim;
    this.heads = o.mmbtHeads;
    this.layers = o.mmbtLayers;
    if (this.d % this.heads !== 0) throw new Error(`mmbt: width ${this.d} is not divisible by ${this.heads} heads`);
    this.tokenDims = [...ctx.tokenDims];
    this.lengths = ctx.dims.map((D, m) => {
      const L = D / ctx.tokenDims[m];
      if (!Number.isInteger(L)) throw new Error(`mmbt: modality ${m} width ${D} is not a multiple of its token width ${ctx.tokenDims[m]}`);
      return L;
    });
    this.T = 1 + this.lengths.reduce((a, b) => a + b, 0);
    const d = this.d;
    this.tokenDims.forEach((td, m) => addLinear(store, rng, `mmbt.proj.${m}`, td, d));
    const normal = (r: Rng, std: number) => (data: Float32Array) => {
      for (let i = 0; i < data.length; i++) data[i] = std * r.normal();
    };
    store.add('mmbt.cls', [d], normal(rng.derive('mmbt.cls'), 0.02));
    store.add('mmbt.pos', [this.T, d], normal(rng.derive('mmbt.pos'), 0.02));
    store.add('mmbt.seg', [ctx.dims.length, d], normal(rng.derive('mmbt.seg'), 0.02));
    addLayerNorm(store, 'mmbt.ln0', d);
    for (let l = 0; l < this.layers; l++) {
      for (const w of ['q', 'k', 'v', 'o']) addLinear(store, rng, `mmbt.${l}.${w}`, d, d);
      addLayerNorm(store, `mmbt.${l}.ln1`, d);
      addLinear(store, rng, `mmbt.${l}.ff1`, d, 2 * d);
      addLinear(store, rng, `mmbt.${l}.ff2`, 2 * d, d);
      addLayerNorm(store, `mmbt.${l}.ln2`, d);
    }
    addLinear(store, rng, 'mmbt.pool', d, d);
    addLinear(store, rng, 'head.0', d, ctx.numClasses);
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    const B = hs[0].shape[0];
    const { d, T, heads } = this;
    const dh = d / heads;
    // order: aux modalities first (as MMBT puts the image first), then the predominant text
    const order = [...hs.keys()].slice(1).concat([0]);
    const embedded: tf.Tensor3D[] = [tf.tile(tf.reshape(p['mmbt.cls'], [1, 1, d]), [B, 1, 1]) as tf.Tensor3D];
    const masks: tf.Tensor2D[] = [tf.ones([B, 1])];
    for (const m of order) {
      const L = this.lengths[m];
      const td = this.tokenDims[m];
      const flat = tf.reshape(hs[m], [B * L, td]) as tf.Tensor2D;
      // padding mask from the values (a constant: comparisons have no gradient)
      const present = Float32Array.from(tf.sum(tf.abs(flat), 1).dataSync(), (v) => (v > 0 ? 1 : 0));
      masks.push(tf.tensor2d(present, [B, L]));
      const proj = tf.reshape(linear(flat, p, `mmbt.proj.${m}`), [B, L, d]);
      const seg = tf.reshape(tf.slice(p['mmbt.seg'], [m, 0], [1, d]), [1, 1, d]);
      embedded.push(tf.add(proj, seg) as tf.Tensor3D);
    }
    let x = tf.add(tf.concat(embedded, 1), tf.reshape(p['mmbt.pos'], [1, T, d])) as tf.Tensor3D;
    x = tf.reshape(layerNorm(tf.reshape(x, [B * T, d]) as tf.Tensor2D, p, 'mmbt.ln0'), [B, T, d]) as tf.Tensor3D;
    const mask = tf.concat(masks, 1); // [B, T]
    const bias = tf.reshape(tf.mul(tf.sub(1, mask), -1e4), [B, 1, 1, T]);
    for (let l = 0; l < this.layers; l++) {
      const flat = tf.reshape(x, [B * T, d]) as tf.Tensor2D;
      const split = (w: string) => tf.transpose(tf.reshape(linear(flat, p, `mmbt.${l}.${w}`), [B, T, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
      const q = split('q');
      const k = split('k');
      const v = split('v');
      const att = tf.softmax(tf.add(tf.div(bmm(q, swapLast(k)), Math.sqrt(dh)), bias)) as tf.Tensor4D; // [B, H, T, T]
      const ctxv = tf.reshape(tf.transpose(bmm(att, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
      const h1 = layerNorm(tf.add(flat, linear(ctxv, p, `mmbt.${l}.o`)) as tf.Tensor2D, p, `mmbt.${l}.ln1`);
      const ff = linear(tf.relu(linear(h1, p, `mmbt.${l}.ff1`)) as tf.Tensor2D, p, `mmbt.${l}.ff2`);
      x = tf.reshape(layerNorm(tf.add(h1, ff) as tf.Tensor2D, p, `mmbt.${l}.ln2`), [B, T, d]) as tf.Tensor3D;
    }
    const cls = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, d]), [B, d]) as tf.Tensor2D;
    const pooled = tf.tanh(linear(cls, p, 'mmbt.pool')) as tf.Tensor2D;
    return { scores: linear(pooled, p, 'head.0'), parts: {} };
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    return crossEntropy(out.scores, ctx.labels);
  }

  softLoss = softLogitsLoss;
}
