import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { ModalityFeatures } from '../../src/modality';
import type { FusedEncoder, FusedEncoding, MultimodalKgModel, MultimodalOptions } from '../../src/multimodal';
import { FeatureRowsBuffer, FlagScratch, Scratch, flushSubnormals, gatherRows, isIdentity, matMul, type FeatureRows } from './fused_dense';
import { scatterAddRows } from '../../src/rows';
import { ParamStore, glorotUniform, type ParamTensors } from '../../src/params';
import { checkTable, normalizeRowsL2 } from './common';
import { anyPresent, checkFeatures, checkFuseInputs, checkMultimodalOptions, maskedSum } from './projected_translation';
import { TranslationSumScorer, initTransE, type TranslationSumSpec } from './translation_sum';
import { transaeBackwardGraph, transaeForwardGraph } from './transae_graph';
import { currentTensorEngine } from '../../src/dense/tf_loss';
import type { DenseHead, GraphTensor } from '../../src/dense/head';

/** TransAE's energy: TransE on the entity embedding e = s + code (layout [e]). */
export const TRANSAE_SPEC: TranslationSumSpec = { basis: ['e'], terms: [['e', 'e']], weight: 1 };

/**
 * TransAE: score(h, r, t) = -||e_h + r - e_t||_1 with e = s + c, c = sigmoid(sum_m x_m W_m + b) the
 * hidden code of an autoencoder over the concatenated auxiliary features x = [v; l]; auxiliary loss =
 * reconstruction MSE of x from c (decoder x^_m = c U_m + u_m; the trainer multiplies it by options.auxWeight).
 *
 * Reference: Zikang Wang, Linjing Li, Qiudan Li, Daniel Zeng, "Multimodal Data Enhanced Representation
 * Learning for Knowledge Graphs", IJCNN 2019 (TransAE: a multimodal autoencoder whose hidden layer is
 * the entity representation of a TransE model; loss = TransE margin loss + reconstruction loss).
 *
 * Ranking representation (width d): rep(e) = e; tail query e_h + r, head query e_t - r;
 * score = -||q - rep(e)||_1 exactly (rankForm 'l1').
 *
 * Interpretations (the paper's text was not available to us; these are our choices):
 * - Autoencoder: one encoder layer, dense + sigmoid, to the code width d (= the embedding width), over
 *   the concatenation of whichever auxiliary features exist; encoder weights stored per modality as
 *   `transae.enc.W.<m>` [D_m, d] (W [v; l] = v W_v + l W_l) plus `transae.enc.b` [d]; one linear
 *   decoder layer back to the features, `transae.dec.W.<m>` [d, D_m], `transae.dec.b.<m>` [D_m] (linear
 *   because feature values are not confined to (0, 1)). Weights Glorot uniform, biases zero.
 * - Entity embedding e = s + c: the code is added to the structural row, so the structural modality stays
 *   the predominant one and entities without features keep an embedding (a paper-pure TransAE would
 *   use e = c alone).
 * - encode returns the raw features, h^m = x_m (the autoencoder is joint, so there is no per-modality
 *   encoder output; IMML weights the inputs), and `fuse` runs the encoder; `auxiliaryLoss` reconstructs
 *   the h^m it is given.
 * - Missing modality: its input block is zero (multiplied by the mask); an entity with no auxiliary
 *   modality at all falls back to e = s (its code is dropped). Reconstruction MSE: mean over the present
 *   (entity, modality) blocks' coordinates only. `auxiliaryLoss` returns it unweighted: the training
 *   step (src/train/multimodal_*.ts) multiplies it by options.auxWeight.
 * - Norm: L1; norm 2 is rejected. Structural and relation rows: TransE init (uniform(-6/sqrt(d),
 *   6/sqrt(d)), unit L2 norm); structural rows are renormalised to unit L2 norm after every step
 *   (`constrainStructural`), relation rows are not.
 */
export class TransAE implements MultimodalKgModel {
  readonly name = 'transae';
  readonly scorer: TranslationSumScorer;
  readonly structuralWidth: number;
  readonly params = new ParamStore();
  readonly modalities: readonly ModalityFeatures[];
  readonly dim: number;
  /** Fused negative-sampling path: rows e = s + present c, scored by the layout's (TransE-L1) kernel. */
  readonly fusedEncoder: FusedEncoder;

  constructor(o: MultimodalOptions) {
    this.dim = checkMultimodalOptions(this.name, o);
    this.modalities = [...o.modalities];
    this.structuralWidth = this.dim;
    this.scorer = new TranslationSumScorer(this.name, this.dim, TRANSAE_SPEC);
    const d = this.dim;
    const total = this.modalities.reduce((a, f) => a + f.dim, 0);
    const rng = o.rng.derive('transae-autoencoder');
    this.modalities.forEach((f, m) => this.params.add(`transae.enc.W.${m}`, [f.dim, d], glorotUniform(rng.derive(`enc.W.${m}`), total, d)));
    this.params.add('transae.enc.b', [d]);
    this.modalities.forEach((f, m) => {
      this.params.add(`transae.dec.W.${m}`, [d, f.dim], glorotUniform(rng.derive(`dec.W.${m}`), d, total));
      this.params.add(`transae.dec.b.${m}`, [f.dim]);
    });
    this.fusedEncoder = { rowWidth: d, kernel: this.scorer.kernel, encode: (ids, S) => this.encodeRows(ids, S) };
  }

  /**
   * Typed-array twin of encode + fuse + auxiliaryLoss: c = sigmoid(sum_m (mask_m x_m) W_m + b),
   * e = s + present c, reconstruction x^_m = c U_m + u_m. Hand-derived backward, with
   * dx^_m = 2 aw mask_m (x^_m - x_m) / C: dU_m = c^T dx^_m, du_m = sum_u dx^_m, dc = present de +
   * sum_m dx^_m U_m^T, dpre = dc c (1 - c), dW_m = (mask_m x_m)^T dpre, db = sum_u dpre, ds = de.
   * Buffers are reused from batch to batch (what encode and backward return is valid until the
   * next encode); the products of a modality every batch entity has skip the row gathers.
   */
  private encodeRows(ids: Int32Array, S: Float32Array): FusedEncoding {
    const U = ids.length;
    const d = this.dim;
    const buf = (this.scratch ??= new AutoencoderBuffers(this.modalities));
    const inputs = buf.features.map((f) => f.gather(ids));
    const present = buf.present.zeros(U);
    for (const inp of inputs) for (let u = 0; u < U; u++) present[u] |= inp.mask[u];
    const engine = currentTensorEngine();
    if (engine?.runGraph && inputs.every((inp) => inp.P > 0)) {
      const graph = this.encodeOnGraph(engine as GraphEngine, inputs, present, U, S);
      if (graph) return graph;
    }
    const c = buf.c.zeros(U * d);
    inputs.forEach((inp, m) => {
      const D = this.modalities[m].dim;
      scatterAddRows(c, inp.at, matMul(inp.x, this.params.get(`transae.enc.W.${m}`).data, inp.P, D, d, false, false, buf.product.take(inp.P * d)), d);
    });
    const b = this.params.get('transae.enc.b').data;
    for (let u = 0; u < U; u++) for (let j = 0; j < d; j++) c[u * d + j] = 1 / (1 + Math.exp(-(c[u * d + j] + b[j])));
    const rows = buf.rows.take(U * d);
    for (let u = 0; u < U; u++) {
      const o = u * d;
      if (present[u]) for (let j = 0; j < d; j++) rows[o + j] = S[o + j] + c[o + j];
      else for (let j = 0; j < d; j++) rows[o + j] = S[o + j] + 0;
    }
    // reconstruction residuals x^_m - x_m on the P_m rows that have modality m, and the loss
    let count = 0;
    let sq = 0;
    const codes = inputs.map((inp, m) => (isIdentity(inp.at, U) ? c : gatherRows(c, d, inp.at, buf.codes[m].take(inp.P * d))));
    const residuals = inputs.map((inp, m) => {
      const D = this.modalities[m].dim;
      const rec = matMul(codes[m], this.params.get(`transae.dec.W.${m}`).data, inp.P, d, D, false, false, buf.residuals[m].take(inp.P * D));
      const ub = this.params.get(`transae.dec.b.${m}`).data;
      const x = inp.x;
      count += inp.P * D;
      for (let p = 0; p < inp.P; p++) {
        const o = p * D;
        for (let j = 0; j < D; j++) {
          const v = rec[o + j] + ub[j] - x[o + j];
          rec[o + j] = v;
          sq += v * v;
        }
      }
      return rec;
    });
    const C = Math.max(1, count);
    return {
      rows,
      auxLoss: sq / C,
      backward: (dRows, auxWeight, gS) => {
        gS.set(dRows.subarray(0, U * d));
        const grads: Record<string, Float32Array> = {};
        const dc = buf.dc.take(U * d);
        for (let u = 0; u < U; u++) {
          const o = u * d;
          if (present[u]) for (let j = 0; j < d; j++) dc[o + j] = dRows[o + j];
          else dc.fill(0, o, o + d);
        }
        residuals.forEach((res, m) => {
          const D = this.modalities[m].dim;
          const P = inputs[m].P;
          const scale = auxWeight > 0 ? (2 * auxWeight) / C : 0;
          const dRec = buf.dRec.take(P * D);
          const du = new Float32Array(D);
          for (let p = 0; p < P; p++) {
            const o = p * D;
            for (let j = 0; j < D; j++) {
              const v = scale * res[o + j];
              dRec[o + j] = v;
              du[j] += v;
            }
          }
          // dU_m = c_P^T dx^_m (codes stored [P, d]: transA); dc_P += dx^_m U_m^T (U_m stored [d, D]: transB)
          grads[`transae.dec.W.${m}`] = matMul(codes[m], dRec, d, P, D, true, false, buf.decGrads[m].take(d * D));
          grads[`transae.dec.b.${m}`] = du;
          scatterAddRows(dc, inputs[m].at, matMul(dRec, this.params.get(`transae.dec.W.${m}`).data, P, D, d, false, true, buf.product.take(P * d)), d);
        });
        const db = new Float32Array(d);
        for (let u = 0; u < U; u++) {
          for (let j = 0; j < d; j++) {
            const i = u * d + j;
            const v = dc[i] * c[i] * (1 - c[i]);
            dc[i] = v;
            db[j] += v;
          }
        }
        flushSubnormals(dc, present, d);
        inputs.forEach((inp, m) => {
          const D = this.modalities[m].dim;
          const dpre = isIdentity(inp.at, U) ? dc : gatherRows(dc, d, inp.at, buf.product.take(inp.P * d));
          grads[`transae.enc.W.${m}`] = matMul(inp.x, dpre, D, inp.P, d, true, false, buf.encGrads[m].take(D * d));
        });
        grads['transae.enc.b'] = db;
        return grads;
      },
    };
  }

  private scratch?: AutoencoderBuffers;

  /**
   * encodeRows on the dense engine's graphs (transae_graph.ts): the same equations, with the
   * element-wise work and the row gathers in ORT's kernels (the JS loops were ~2.9 of a 5.9 s
   * WN9-IMG text-only epoch). Undefined where a table lies on a SharedArrayBuffer (graph feeds must
   * not); the typed-array path then runs, as it does for a batch in which no entity has some modality.
   */
  private encodeOnGraph(engine: GraphEngine, inputs: readonly FeatureRows[], presentFlags: Uint8Array, U: number, S: Float32Array): FusedEncoding | undefined {
    const d = this.dim;
    const dims = this.modalities.map((f) => f.dim);
    const everyRow = inputs.map((inp) => isIdentity(inp.at, U));
    const key = `transae-${dims.join('x')}-${d}-${everyRow.map(Number).join('')}`;
    const param = (name: string): Float32Array => this.params.get(name).data;
    const present = Float32Array.from(presentFlags);
    const feeds: Record<string, GraphTensor> = { S: { data: S, dims: [U, d] }, b: { data: param('transae.enc.b'), dims: [d] }, present: { data: present, dims: [U, 1] } };
    const rowFeeds: Record<string, GraphTensor> = {};
    inputs.forEach((inp, m) => {
      const D = dims[m];
      rowFeeds[`x${m}`] = { data: inp.x, dims: [inp.P, D] };
      rowFeeds[`Ud${m}`] = { data: param(`transae.dec.W.${m}`), dims: [d, D] };
      if (!everyRow[m]) rowFeeds[`at${m}`] = { data: Float32Array.from(inp.at.subarray(0, inp.P)), dims: [inp.P] };
      feeds[`W${m}`] = { data: param(`transae.enc.W.${m}`), dims: [D, d] };
      feeds[`ud${m}`] = { data: param(`transae.dec.b.${m}`), dims: [D] };
    });
    Object.assign(feeds, rowFeeds);
    if (Object.values(feeds).some((t) => t.data.buffer instanceof SharedArrayBuffer)) return undefined;
    const fwd = engine.runGraph(`${key}-forward`, () => transaeForwardGraph(dims, d, everyRow), feeds, ['rows', 'c', ...dims.map((_, m) => `res${m}`), ...dims.map((_, m) => `sq${m}`)]);
    let sq = 0;
    dims.forEach((_, m) => (sq += fwd[`sq${m}`][0]));
    // the MSE's mean is over the present (entity, modality) blocks' coordinates
    const C = Math.max(1, inputs.reduce((a, inp, m) => a + inp.P * dims[m], 0));
    return {
      rows: fwd.rows,
      auxLoss: sq / C,
      backward: (dRows, auxWeight, gS) => {
        gS.set(dRows.subarray(0, U * d));
        const back: Record<string, GraphTensor> = {
          ...rowFeeds,
          dRows: { data: dRows, dims: [U, d] },
          c: { data: fwd.c, dims: [U, d] },
          present: feeds.present,
          scale: { data: Float32Array.of(auxWeight > 0 ? (2 * auxWeight) / C : 0), dims: [1] },
        };
        dims.forEach((D, m) => (back[`res${m}`] = { data: fwd[`res${m}`], dims: [inputs[m].P, D] }));
        const names = dims.flatMap((_, m) => [`dUd${m}`, `dud${m}`, `dW${m}`]);
        const out = engine.runGraph(`${key}-backward`, () => transaeBackwardGraph(dims, d, everyRow), back, [...names, 'db']);
        const grads: Record<string, Float32Array> = { 'transae.enc.b': out.db };
        dims.forEach((_, m) => {
          grads[`transae.dec.W.${m}`] = out[`dUd${m}`];
          grads[`transae.dec.b.${m}`] = out[`dud${m}`];
          grads[`transae.enc.W.${m}`] = out[`dW${m}`];
        });
        return grads;
      },
    };
  }

  /** [s, x_1, ..., x_M]: the structural rows and the raw features, returned as they are. */
  encode(structural: tf.Tensor2D, features: tf.Tensor2D[], _p: ParamTensors): tf.Tensor2D[] {
    checkFeatures(this.name, this.modalities, structural, features);
    return [structural, ...features];
  }

  /** The hidden code c = sigmoid(sum_m (mask_m x_m) W_m + b). hs [s, x_1..x_M] -> [k, d]. */
  code(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D {
    checkFuseInputs(this.name, hs, masks, this.modalities.length);
    return tf.tidy(() => {
      const pre = maskedSum(hs.slice(1).map((x, m) => tf.matMul(x, p[`transae.enc.W.${m}`] as tf.Tensor2D)), masks);
      return tf.sigmoid(tf.add(pre, p['transae.enc.b'])) as tf.Tensor2D;
    });
  }

  /** Ranking representation e = s + present * c ([k, d]); entities without any modality get e = s. */
  fuse(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D {
    return tf.tidy(() => this.scorer.layout([tf.add(hs[0], tf.mul(anyPresent(masks), this.code(hs, masks, p))) as tf.Tensor2D]));
  }

  /**
   * Reconstruction MSE over the present blocks, unweighted (the trainer applies auxWeight):
   * sum_m sum_i mask_im ||c_i U_m + u_m - x_im||^2 / max(1, sum_m D_m sum_i mask_im). hs [s, x_1..x_M] -> scalar.
   */
  auxiliaryLoss(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Scalar {
    return tf.tidy(() => {
      const c = this.code(hs, masks, p);
      const sq: tf.Tensor[] = [];
      const counts: tf.Tensor[] = [];
      this.modalities.forEach((f, m) => {
        const rec = tf.add(tf.matMul(c, p[`transae.dec.W.${m}`] as tf.Tensor2D), p[`transae.dec.b.${m}`]);
        sq.push(tf.sum(tf.mul(masks[m], tf.square(tf.sub(rec, hs[1 + m])))));
        counts.push(tf.mul(tf.sum(masks[m]), f.dim));
      });
      const count = tf.maximum(tf.addN(counts), 1);
      return tf.div(tf.addN(sq), count) as tf.Scalar;
    });
  }

  /**
   * Unit L2 norm for the touched structural rows after each step (Bordes et al. 2013, Algorithm 1;
   * TransAE's TransE part keeps its constraints). Relation rows and the autoencoder are not constrained.
   */
  constrainStructural(table: Float32Array, rows: Int32Array, count: number): void {
    normalizeRowsL2(table, this.structuralWidth, table.length / this.structuralWidth, rows, count);
  }

  /** Structural rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  initStructural(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.structuralWidth, 'transae.initStructural');
    initTransE(table, rows, this.dim, rng);
  }

  /** Relation rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    this.scorer.initRelations(table, rows, rng);
  }
}

/** Registry factory of {@link TransAE}. */
export function createTransae(o: MultimodalOptions): TransAE {
  return new TransAE(o);
}

/** A dense engine that runs ONNX graphs. */
type GraphEngine = DenseHead & Required<Pick<DenseHead, 'runGraph'>>;

/** The buffers of {@link TransAE}'s fused encoder, reused from batch to batch. */
class AutoencoderBuffers {
  readonly features: FeatureRowsBuffer[];
  readonly codes: Scratch[];
  readonly residuals: Scratch[];
  readonly decGrads: Scratch[];
  readonly encGrads: Scratch[];
  readonly c = new Scratch();
  readonly rows = new Scratch();
  readonly dc = new Scratch();
  readonly dRec = new Scratch();
  /** One product at a time: encoder outputs, dc contributions, gathered dpre. */
  readonly product = new Scratch();
  /** Per entity of the batch: does it have any modality. */
  readonly present = new FlagScratch();

  constructor(modalities: readonly ModalityFeatures[]) {
    this.features = modalities.map((f) => new FeatureRowsBuffer(f));
    const each = (): Scratch[] => modalities.map(() => new Scratch());
    this.codes = each();
    this.residuals = each();
    this.decGrads = each();
    this.encGrads = each();
  }
}
