import * as tf from '@tensorflow/tfjs';
import type { MultimodalKgModel } from '../multimodal';
import type { ParamTensors } from '../params';
import { DenseOptimizer, lossAndGrads } from '../params';
import type { SparseOptimizer } from '../optim';
import { SparseGradient } from '../optim';
import type { NegativeSamplingLoss } from '../losses';
import type { NegativeSampler } from '../sampling';
import type { Rng } from '../rng';
import { gatherRows, n3Penalty } from '../tf_ops';
import { mixedCrossEntropy } from '../soft_cross_entropy';
import type { DenseHead } from '../dense/head';
import { denseHeadLoss } from '../dense/tf_loss';
import type { RepresentationPlugin } from '../plugin';
import type { KgTables } from './model';
import type { QueryBatch } from './one_vs_all';

/**
 * The auxiliary-modality inputs of a multimodal model: per modality the [n, d_m] feature matrix
 * and [n, 1] mask, as typed arrays (for gathering batch rows) and as tensors kept alive for the
 * whole run (the all-entity forward of 1-vs-all uses them every step).
 */
export class ModalityInputs {
  readonly features: tf.Tensor2D[];
  readonly masks: tf.Tensor2D[];

  constructor(readonly model: MultimodalKgModel) {
    this.features = model.modalities.map((m) => tf.tensor2d(m.data, [m.rows, m.dim]));
    this.masks = model.modalities.map((m) => tf.tensor2d(Float32Array.from(m.mask), [m.rows, 1]));
  }

  /** Feature rows and masks of the given entities, as new tensors. */
  rows(ids: Int32Array): { features: tf.Tensor2D[]; masks: tf.Tensor2D[] } {
    const features = this.model.modalities.map((m) => tf.tensor2d(tableRows(m.data, m.dim, ids), [ids.length, m.dim]));
    return { features, masks: this.masksOf(ids) };
  }

  /** [k, 1] masks of the given entities, one per modality, as new tensors. */
  masksOf(ids: Int32Array): tf.Tensor2D[] {
    return this.model.modalities.map((m) => tf.tensor2d(Float32Array.from(ids, (e) => m.mask[e]), [ids.length, 1]));
  }

  /** 1 for the entities that have every auxiliary modality (IMML's L_mdke needs all of them). */
  complete(ids: Int32Array): Uint8Array {
    const out = new Uint8Array(ids.length).fill(1);
    for (const m of this.model.modalities) for (let i = 0; i < ids.length; i++) if (!m.mask[ids[i]]) out[i] = 0;
    return out;
  }

  dispose(): void {
    tf.dispose([...this.features, ...this.masks]);
  }
}

/** Rows of a row-major table as a new Float32Array. */
export function tableRows(table: Float32Array, width: number, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length * width);
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * width, (ids[i] + 1) * width), i * width);
  return out;
}

/** h^m of a model, IMML-weighted when the plug-in is on (Algorithm 1, line 2). */
function encodeWeighted(model: MultimodalKgModel, imml: RepresentationPlugin | undefined, structural: tf.Tensor2D, features: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[] {
  const hs = model.encode(structural, features, p);
  return imml ? imml.weigh(hs, p) : hs;
}

/**
 * The ranking representation of every entity ([n, scorer.entityWidth]), computed in chunks with
 * the current parameters; what evaluation ranks against and what `export` writes.
 */
export function representAll(model: MultimodalKgModel, structural: Float32Array, numEntities: number, imml?: RepresentationPlugin, chunk = 2048): Float32Array {
  const W = model.scorer.entityWidth;
  const Ws = model.structuralWidth;
  const out = new Float32Array(numEntities * W);
  const p = model.params.tensors();
  const inputs = new ModalityInputs(model);
  try {
    for (let from = 0; from < numEntities; from += chunk) {
      const to = Math.min(numEntities, from + chunk);
      const ids = new Int32Array(to - from).map((_, i) => from + i);
      const rep = tf.tidy(() => {
        const { features, masks } = inputs.rows(ids);
        const s = tf.tensor2d(structural.subarray(from * Ws, to * Ws), [to - from, Ws]);
        return model.fuse(encodeWeighted(model, imml, s, features, p), masks, p);
      });
      out.set(rep.dataSync() as Float32Array, from * W);
      rep.dispose();
    }
  } finally {
    inputs.dispose();
    tf.dispose(Object.values(p));
  }
  return out;
}

/** What both multimodal training steps share. */
export interface MultimodalStepParts {
  model: MultimodalKgModel;
  /** Structural entity table (width model.structuralWidth) and relation table. */
  tables: KgTables;
  imml?: RepresentationPlugin;
  entityOptimizer: SparseOptimizer;
  relationOptimizer: SparseOptimizer;
  paramOptimizer: DenseOptimizer;
  /** N3 on the fused factors of each query / triple (Lacroix et al. 2018); 0 = off. */
  n3Weight: number;
  /** Weight of the model's own auxiliary loss. */
  auxWeight: number;
  /** Representation rows are complex [re | im] (N3 on complex moduli). */
  complexRows: boolean;
  /** Engine of the all-entity head (1-vs-all only). */
  head?: DenseHead;
}

/**
 * 1-vs-all training of a multimodal model (OTKGE's recipe, Lacroix et al. 2018 for 1-vs-all):
 * every step fuses the representation of all entities (dense), scores the batch's queries against
 * them, and takes softmax cross-entropy, N3 on the fused factors, the model's auxiliary loss and,
 * with IMML, gamma1 L_mdke + gamma2 L_beta where each mixed query z(h^s_{a_i}, h^aux_{a_i'}) with
 * relation r_i is scored against all entities with the soft target lambda onehot(b_i) +
 * (1 - lambda) onehot(b_i') (our reading for link prediction; see imml/README.md).
 * The structural table gets a dense update, relation rows a sparse one, dense params their own.
 */
export class MultimodalOneVsAllStep {
  private readonly inputs: ModalityInputs;
  private readonly gradR: SparseGradient;

  constructor(private readonly p: MultimodalStepParts) {
    if (!p.head) throw new Error('1-vs-all training of a multimodal model needs a dense head');
    this.inputs = new ModalityInputs(p.model);
    this.gradR = new SparseGradient(p.tables.numRelationRows, p.model.scorer.relationWidth, p.tables.numRelationRows);
  }

  run(q: QueryBatch): number {
    const { model, tables, imml } = this.p;
    const head = this.p.head!;
    const B = q.count;
    const n = tables.numEntities;
    const Ws = model.structuralWidth;
    const Wr = model.scorer.relationWidth;
    const anchors = q.anchors.slice(0, B);
    const answers = q.answers.slice(0, B);
    const rels = q.relations.slice(0, B);
    const tailSide = q.tailSide.subarray(0, B);
    const allTail = tailSide.every((s) => s === 1);
    const draw = imml?.drawBeta(B);
    const complexRows = this.p.complexRows;

    const E = tf.tensor2d(tables.entities, [n, Ws]);
    const R = tf.tensor2d(tableRows(tables.relations, Wr, rels), [B, Wr]);
    const side = tf.tensor2d(Float32Array.from(tailSide), [B, 1]);
    const { loss, inputGrads, paramGrads } = lossAndGrads(model.params, [E, R], ([Et, Rt], p) => {
      const query = (a: tf.Tensor2D, r: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D => {
        if (allTail) return model.scorer.queryTail!(a, r);
        return tf.add(tf.mul(s, model.scorer.queryTail!(a, r)), tf.mul(tf.sub(1, s), model.scorer.queryHead!(r, a))) as tf.Tensor2D;
      };
      const hsAll = encodeWeighted(model, imml, Et as tf.Tensor2D, this.inputs.features, p);
      const F = model.fuse(hsAll, this.inputs.masks, p);
      const FA = gatherRows(F, anchors);
      // All-entity product, softmax CE and its gradients in the dense engine.
      let total = denseHeadLoss(head, query(FA, Rt as tf.Tensor2D, side), F, { loss: 'ce', targets: { kind: 'index', answers } });
      if (this.p.n3Weight > 0) {
        const FB = gatherRows(F, answers);
        const reg = tf.add(tf.add(n3Penalty(FA, complexRows), n3Penalty(FB, complexRows)), n3Penalty(Rt as tf.Tensor2D, complexRows));
        total = tf.add(total, tf.mul(this.p.n3Weight / B, reg)) as tf.Scalar;
      }
      const hsA = hsAll.map((h) => gatherRows(h, anchors));
      if (model.auxiliaryLoss && this.p.auxWeight > 0) {
        total = tf.add(total, tf.mul(this.p.auxWeight, model.auxiliaryLoss(hsA, this.inputs.masksOf(anchors), p))) as tf.Scalar;
      }
      if (imml && draw) {
        const extra = imml.losses(hsA, p, draw, (mix) => {
          const partnerMasks = this.inputs.masksOf(Int32Array.from(mix.partners, (i) => anchors[i]));
          const Z = model.fuse(mix.features, partnerMasks, p);
          const Qz = query(Z, imml.anchorRows(Rt as tf.Tensor2D, draw), imml.anchorRows(side, draw));
          // Soft cross-entropy against lambda onehot(b_i) + (1 - lambda) onehot(b_i'), mean over mixed rows.
          const a = Int32Array.from(mix.anchors, (i) => answers[i]);
          const b = Int32Array.from(mix.partners, (i) => answers[i]);
          return denseHeadLoss(head, Qz, F, { loss: 'ce', targets: { kind: 'mix', a, b, lambda: mix.lambda } });
        }, this.inputs.complete(anchors));
        total = tf.add(total, extra.total) as tf.Scalar;
      }
      return total;
    });
    tf.dispose([E, R, side]);

    const [gE, gRrows] = inputGrads;
    const gR = this.gradR;
    gR.reset();
    for (let i = 0; i < B; i++) {
      const o = gR.slot(rels[i]) * Wr;
      for (let k = 0; k < Wr; k++) gR.grads[o + k] += gRrows[i * Wr + k];
    }
    this.p.entityOptimizer.stepDense(tables.entities, Ws, gE);
    this.p.relationOptimizer.step(tables.relations, Wr, gR.rows, gR.count, gR.grads);
    this.p.paramOptimizer.step(paramGrads);
    return loss;
  }

  dispose(): void {
    this.inputs.dispose();
  }
}

/** Extra parts of negative-sampling training. */
export interface MultimodalNegativeParts extends MultimodalStepParts {
  loss: NegativeSamplingLoss;
  sampler: NegativeSampler;
  negatives: number;
  /** Draws the extra candidate entities of IMML's sampled softmax. */
  rng: Rng;
}

/**
 * Negative-sampling training of a multimodal model (IKRL, TBKGE, TransAE, MMKRL): the entities of
 * the batch's positives and negatives are encoded and fused once each (deduplicated), triples are
 * scored by the model's scorer, the negative-sampling loss (margin, NSSA, ...) supplies the score
 * gradients, and with IMML the mixed head z(h^s_{h_i}, h^aux_{h_i'}) with relation r_i is scored
 * against {t_i, t_i', k uniform entities} in a sampled softmax with soft targets lambda, 1 - lambda.
 * Structural and relation rows get sparse updates.
 */
export class MultimodalNegativeSamplingStep {
  private readonly gradE: SparseGradient;
  private readonly gradR: SparseGradient;
  private readonly inputs: ModalityInputs;

  constructor(private readonly p: MultimodalNegativeParts) {
    this.gradE = new SparseGradient(p.tables.numEntities, p.model.structuralWidth, p.tables.numEntities);
    this.gradR = new SparseGradient(p.tables.numRelationRows, p.model.scorer.relationWidth, p.tables.numRelationRows);
    this.inputs = new ModalityInputs(p.model);
  }

  run(batch: Int32Array, B: number): number {
    const { model, tables, imml, negatives: k } = this.p;
    const n = tables.numEntities;
    const Ws = model.structuralWidth;
    const Wr = model.scorer.relationWidth;
    const neg = new Int32Array(3 * B * k);
    this.p.sampler.sample(batch, B, neg);
    const draw = imml?.drawBeta(B);
    // Extra candidates for IMML's sampled softmax: k uniform entities per mixed sample.
    const mixRows = draw ? draw.blocks.reduce((s, b) => s + b.rows, 0) : 0;
    const extra = new Int32Array(mixRows * k);
    for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(this.p.rng.next() * n);

    // Unique entities and relations of the step; every triple slot points into them.
    const entityIndex = new Map<number, number>();
    const relationIndex = new Map<number, number>();
    const slot = (map: Map<number, number>, id: number): number => {
      let s = map.get(id);
      if (s === undefined) map.set(id, (s = map.size));
      return s;
    };
    const split = (triples: Int32Array, count: number): [Int32Array, Int32Array, Int32Array] => {
      const h = new Int32Array(count);
      const r = new Int32Array(count);
      const t = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        h[i] = slot(entityIndex, triples[3 * i]);
        r[i] = slot(relationIndex, triples[3 * i + 1]);
        t[i] = slot(entityIndex, triples[3 * i + 2]);
      }
      return [h, r, t];
    };
    const [pH, pR, pT] = split(batch, B);
    const [nH, nR, nT] = split(neg, B * k);
    const extraSlots = Int32Array.from(extra, (e) => slot(entityIndex, e));
    const entityIds = Int32Array.from(entityIndex.keys());
    const relationIds = Int32Array.from(relationIndex.keys());
    const U = entityIds.length;

    const S = tf.tensor2d(tableRows(tables.entities, Ws, entityIds), [U, Ws]);
    const Rt = tf.tensor2d(tableRows(tables.relations, Wr, relationIds), [relationIds.length, Wr]);
    const { features, masks } = this.inputs.rows(entityIds);
    const gPos = new Float32Array(B);
    const gNeg = new Float32Array(B * k);
    let dataLoss = 0;
    const nsLoss = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const sp = args[0] as tf.Tensor;
      const sn = args[1] as tf.Tensor;
      dataLoss = this.p.loss.compute(sp.dataSync() as Float32Array, sn.dataSync() as Float32Array, B, k, gPos, gNeg);
      return {
        value: tf.scalar(dataLoss),
        gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor1d(gPos)), tf.mul(dy, tf.tensor1d(gNeg))],
      };
    }) as never) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Scalar;

    const { loss, inputGrads, paramGrads } = lossAndGrads(model.params, [S, Rt], ([St, Rel], p) => {
      const hs = encodeWeighted(model, imml, St as tf.Tensor2D, features, p);
      const F = model.fuse(hs, masks, p);
      const rel = Rel as tf.Tensor2D;
      const sPos = model.scorer.score(gatherRows(F, pH), gatherRows(rel, pR), gatherRows(F, pT));
      const sNeg = model.scorer.score(gatherRows(F, nH), gatherRows(rel, nR), gatherRows(F, nT));
      let total = nsLoss(sPos, sNeg);
      if (this.p.n3Weight > 0) {
        const reg = tf.add(tf.add(n3Penalty(gatherRows(F, pH), this.p.complexRows), n3Penalty(gatherRows(F, pT), this.p.complexRows)), n3Penalty(gatherRows(rel, pR), this.p.complexRows));
        total = tf.add(total, tf.mul(this.p.n3Weight / B, reg)) as tf.Scalar;
      }
      const hsHeads = hs.map((h) => gatherRows(h, pH));
      if (model.auxiliaryLoss && this.p.auxWeight > 0) {
        total = tf.add(total, tf.mul(this.p.auxWeight, model.auxiliaryLoss(hs, masks, p))) as tf.Scalar;
      }
      if (imml && draw) {
        const extraLoss = imml.losses(hsHeads, p, draw, (mix) => {
          const partnerMasks = masks.map((m) => gatherRows(m, Int32Array.from(mix.partners, (i) => pH[i])));
          const Z = model.fuse(mix.features, partnerMasks, p); // [rows, We]
          const rows = mix.anchors.length;
          const cand = new Int32Array(rows * (k + 2));
          for (let j = 0; j < rows; j++) {
            cand[j * (k + 2)] = pT[mix.anchors[j]];
            cand[j * (k + 2) + 1] = pT[mix.partners[j]];
            for (let c = 0; c < k; c++) cand[j * (k + 2) + 2 + c] = extraSlots[j * k + c];
          }
          const We = model.scorer.entityWidth;
          const C = tf.reshape(gatherRows(F, cand), [rows, k + 2, We]);
          const relRows = gatherRows(rel, Int32Array.from(mix.anchors, (i) => pR[i]));
          const logits = model.scorer.score(tf.expandDims(Z, 1), tf.expandDims(relRows, 1), C) as tf.Tensor2D;
          return mixedCrossEntropy(logits, new Int32Array(rows), new Int32Array(rows).fill(1), mix.lambda);
        }, this.inputs.complete(Int32Array.from(pH, (u) => entityIds[u])));
        total = tf.add(total, extraLoss.total) as tf.Scalar;
      }
      return total;
    });
    tf.dispose([S, Rt, ...features, ...masks]);

    const [gS, gRel] = inputGrads;
    this.gradE.reset();
    this.gradR.reset();
    for (let u = 0; u < U; u++) {
      const o = this.gradE.slot(entityIds[u]) * Ws;
      for (let c = 0; c < Ws; c++) this.gradE.grads[o + c] += gS[u * Ws + c];
    }
    for (let u = 0; u < relationIds.length; u++) {
      const o = this.gradR.slot(relationIds[u]) * Wr;
      for (let c = 0; c < Wr; c++) this.gradR.grads[o + c] += gRel[u * Wr + c];
    }
    this.p.entityOptimizer.step(tables.entities, Ws, this.gradE.rows, this.gradE.count, this.gradE.grads);
    model.constrainStructural?.(tables.entities, this.gradE.rows, this.gradE.count);
    this.p.relationOptimizer.step(tables.relations, Wr, this.gradR.rows, this.gradR.count, this.gradR.grads);
    this.p.paramOptimizer.step(paramGrads);
    return loss;
  }

  dispose(): void {
    this.inputs.dispose();
  }
}
