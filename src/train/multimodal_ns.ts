import * as tf from '@tensorflow/tfjs';
import { lossAndGrads } from '../params';
import { SparseGradient } from '../optim';
import type { NegativeSamplingLoss } from '../losses';
import type { NegativeSampler } from '../sampling';
import type { Rng } from '../rng';
import { gatherRows } from '../tf_ops';
import { n3OfFactors } from './regularizer';
import { mixedCrossEntropy } from '../soft_cross_entropy';
import { scatterAddSparse, tableRows } from '../rows';
import type { TrainingStep } from './step';
import { encodeWeighted, ModalityInputs, type MultimodalStepParts } from './multimodal_step';

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
export class MultimodalNegativeSamplingStep implements TrainingStep<Int32Array> {
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
        total = tf.add(total, n3OfFactors([gatherRows(F, pH), gatherRows(F, pT), gatherRows(rel, pR)], this.p.complexRows, this.p.n3Weight / B)) as tf.Scalar;
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
    scatterAddSparse(this.gradE, entityIds, gS);
    scatterAddSparse(this.gradR, relationIds, gRel);
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
