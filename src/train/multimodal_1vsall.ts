import * as tf from '@tensorflow/tfjs';
import { lossAndGrads } from '../params';
import { SparseGradient } from '../optim';
import { gatherRows } from '../tf_ops';
import { n3OfFactors } from './regularizer';
import { denseHeadLoss } from '../dense/tf_loss';
import { scatterAddSparse, tableRows } from '../rows';
import type { QueryBatch } from './batches';
import { mixedQuery, querySides } from './query';
import type { TrainingStep } from './step';
import { encodeWeighted, ModalityInputs, type MultimodalStepParts } from './multimodal_step';

/**
 * 1-vs-all training of a multimodal model (OTKGE's recipe, Lacroix et al. 2018 for 1-vs-all):
 * every step fuses the representation of all entities (dense), scores the batch's queries against
 * them, and takes softmax cross-entropy, N3 on the fused factors, the model's auxiliary loss and,
 * with IMML, gamma1 L_mdke + gamma2 L_beta where each mixed query z(h^s_{a_i}, h^aux_{a_i'}) with
 * relation r_i is scored against all entities with the soft target lambda onehot(b_i) +
 * (1 - lambda) onehot(b_i') (our reading for link prediction; see imml/README.md).
 * The structural table gets a dense update, relation rows a sparse one, dense params their own.
 */
export class MultimodalOneVsAllStep implements TrainingStep<QueryBatch> {
  private readonly inputs: ModalityInputs;
  private readonly gradR: SparseGradient;

  constructor(private readonly p: MultimodalStepParts) {
    if (!p.head) throw new Error('1-vs-all training of a multimodal model needs a dense head');
    this.inputs = new ModalityInputs(p.model);
    this.gradR = new SparseGradient(p.tables.numRelationRows, p.model.scorer.relationWidth, p.tables.numRelationRows);
  }

  run(q: QueryBatch, count = q.count): number {
    const { model, tables, imml } = this.p;
    const head = this.p.head!;
    const B = count;
    const n = tables.numEntities;
    const Ws = model.structuralWidth;
    const Wr = model.scorer.relationWidth;
    const anchors = q.anchors.slice(0, B);
    const answers = q.answers.slice(0, B);
    const rels = q.relations.slice(0, B);
    const draw = imml?.drawBeta(B);
    const complexRows = this.p.complexRows;

    const E = tf.tensor2d(tables.entities, [n, Ws]);
    const R = tf.tensor2d(tableRows(tables.relations, Wr, rels), [B, Wr]);
    const { side, allTail } = querySides(q.tailSide, B);
    const { loss, inputGrads, paramGrads } = lossAndGrads(model.params, [E, R], ([Et, Rt], p) => {
      const query = (a: tf.Tensor2D, r: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D => mixedQuery(model.scorer, a, r, s, allTail);
      const hsAll = encodeWeighted(model, imml, Et as tf.Tensor2D, this.inputs.features, p);
      const F = model.fuse(hsAll, this.inputs.masks, p);
      const FA = gatherRows(F, anchors);
      // All-entity product, softmax CE and its gradients in the dense engine.
      let total = denseHeadLoss(head, query(FA, Rt as tf.Tensor2D, side), F, { loss: 'ce', targets: { kind: 'index', answers } });
      if (this.p.n3Weight > 0) {
        const FB = gatherRows(F, answers);
        total = tf.add(total, n3OfFactors([FA, FB, Rt as tf.Tensor2D], complexRows, this.p.n3Weight / B)) as tf.Scalar;
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
    scatterAddSparse(gR, rels, gRrows);
    this.p.entityOptimizer.stepDense(tables.entities, Ws, gE);
    this.p.relationOptimizer.step(tables.relations, Wr, gR.rows, gR.count, gR.grads);
    this.p.paramOptimizer.step(paramGrads);
    return loss;
  }

  dispose(): void {
    this.inputs.dispose();
  }
}
