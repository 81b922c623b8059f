import * as tf from '@tensorflow/tfjs';
import { hasHeadQueries, type FusedEncoder, type MultimodalKgModel } from '../multimodal';
import { lossAndGrads } from '../params';
import { SparseGradient } from '../optim';
import type { MultimodalStepParts } from './multimodal_step';
import { ModalityInputs, tableRows } from './multimodal_step';
import type { NegativeSamplingLoss } from '../losses';
import type { NegativeSampler } from '../sampling';
import { isTermKernel, type TermKernel, type TripleKernel } from '../scorer';
import type { TrainingStep } from './step';

/** What the fused step needs besides the shared multimodal parts. */
export interface FusedMultimodalParts extends MultimodalStepParts {
  loss: NegativeSamplingLoss;
  sampler: NegativeSampler;
  negatives: number;
  /** One loss per energy term of the kernel (config `perTermLoss`); the kernel must be a TermKernel. */
  perTermLoss?: boolean;
}

/**
 * Whether a model trains through {@link FusedMultimodalNegativeSamplingStep}: it has a
 * `fusedEncoder` or its scorer a fused kernel, and neither IMML nor N3 (which need the per-triple
 * tensors) is on. Otherwise the
 * autodiff step of multimodal_step.ts trains it, so a new model file needs no kernel to work.
 */
export function fusedMultimodalApplies(model: MultimodalKgModel, imml: unknown, n3Weight: number): boolean {
  return (model.fusedEncoder !== undefined || model.scorer.kernel !== undefined) && imml === undefined && n3Weight === 0;
}

/**
 * Negative-sampling step of a multimodal model without per-triple autodiff (same loss and
 * gradients as MultimodalNegativeSamplingStep without IMML/N3):
 * 1. the modality features of the batch's distinct entities are projected once: by the model's
 *    `fusedEncoder` (IKRL, TBKGE, MMKRL: rows [s | m], TransAE: e = s + code; typed arrays and one
 *    dense product per modality), or else, for a model whose scorer has a kernel (e.g. OTKGE),
 *    by tfjs encode + fuse (+ auxiliaryLoss) on those entities;
 * 2. every triple is scored on those rows by the fused typed-array kernel, the loss gives the
 *    score gradients and the kernel's hand-derived backward turns them into row and relation
 *    gradients (relations never enter tfjs);
 * 3. the row gradient goes back into the projection weights with one more dense product per
 *    modality (the encoder's hand-derived backward; or tfjs backpropagation through fuse/encode)
 *    and into the structural rows.
 * Structural and relation rows get sparse updates, dense parameters a dense one.
 * A kernel with head queries (HeadQueryKernel) scores a positive's tail-corrupted negatives from
 * the positive's h + r, computed once; same bits, same accumulation order. The per-batch arrays
 * are kept between batches (fresh ones made garbage collection ~10% of a step).
 */
export class FusedMultimodalNegativeSamplingStep implements TrainingStep<Int32Array> {
  private readonly gradE: SparseGradient;
  private readonly gradR: SparseGradient;
  private inputs?: ModalityInputs;
  private neg = new Int32Array(0);
  private posSlots = new Int32Array(0);
  private negSlots = new Int32Array(0);
  private gPos = new Float32Array(0);
  private gNeg = new Float32Array(0);
  private posScores = new Float32Array(0);
  private negScores = new Float32Array(0);
  private structural = new Float32Array(0);
  private dRows = new Float32Array(0);
  private query = new Float64Array(0);

  constructor(private readonly p: FusedMultimodalParts) {
    if (!p.model.scorer.kernel && !p.model.fusedEncoder) throw new Error(`${p.model.name}: no fused kernel; train it with MultimodalNegativeSamplingStep`);
    const kernel = p.model.fusedEncoder?.kernel ?? p.model.scorer.kernel!;
    if (p.perTermLoss && !isTermKernel(kernel)) {
      throw new Error(`config: perTermLoss needs a model whose fused kernel scores its energy terms one by one (ikrl, tbkge, mmkrl); '${p.model.name}' has none`);
    }
    this.gradE = new SparseGradient(p.tables.numEntities, p.model.structuralWidth, p.tables.numEntities);
    this.gradR = new SparseGradient(p.tables.numRelationRows, p.model.scorer.relationWidth, p.tables.numRelationRows);
  }

  /** Train on B positives (flat h, r, t); returns the batch loss (data term + weighted auxiliary loss). */
  run(batch: Int32Array, B: number): number {
    const { model, tables, negatives: k } = this.p;
    const Ws = model.structuralWidth;
    this.ensureCapacity(B, k);
    const neg = this.neg.subarray(0, 3 * B * k);
    this.p.sampler.sample(batch, B, neg);
    const gE = this.gradE;
    const gR = this.gradR;
    gE.reset();
    gR.reset();
    // Distinct entities in first-touch order: gradE's slots index the representation rows too.
    const posSlots = this.posSlots.subarray(0, 2 * B);
    const negSlots = this.negSlots.subarray(0, 2 * B * k);
    for (let i = 0; i < B; i++) {
      posSlots[2 * i] = gE.slot(batch[3 * i]);
      posSlots[2 * i + 1] = gE.slot(batch[3 * i + 2]);
    }
    for (let i = 0; i < B * k; i++) {
      negSlots[2 * i] = gE.slot(neg[3 * i]);
      negSlots[2 * i + 1] = gE.slot(neg[3 * i + 2]);
    }
    const U = gE.count;
    const ids = gE.rows.slice(0, U);
    const enc = model.fusedEncoder;
    const loss = enc ? this.encoderStep(enc, ids, batch, neg, B, k) : this.autodiffRepresentationStep(ids, batch, neg, B, k);
    this.p.entityOptimizer.step(tables.entities, Ws, gE.rows, U, gE.grads);
    model.constrainStructural?.(tables.entities, gE.rows, U);
    this.p.relationOptimizer.step(tables.relations, model.scorer.relationWidth, gR.rows, gR.count, gR.grads);
    return loss;
  }

  /** Steps 1-3 with the model's typed-array encoder: encode, kernel, encoder backward. */
  private encoderStep(enc: FusedEncoder, ids: Int32Array, batch: Int32Array, neg: Int32Array, B: number, k: number): number {
    const U = ids.length;
    const Ws = this.p.model.structuralWidth;
    if (this.structural.length < U * Ws) this.structural = new Float32Array(this.p.tables.numEntities * Ws);
    const S = this.structural.subarray(0, U * Ws);
    const E = this.p.tables.entities;
    for (let u = 0; u < U; u++) {
      const o = ids[u] * Ws;
      const q = u * Ws;
      S.set(E.subarray(o, o + Ws), q); // a row copy (memcpy) rather than an element loop
    }
    const encoding = enc.encode(ids, S);
    if (this.dRows.length < U * enc.rowWidth) this.dRows = new Float32Array(this.p.tables.numEntities * enc.rowWidth);
    const dRows = this.dRows.subarray(0, U * enc.rowWidth).fill(0);
    const dataLoss = this.scoreAndBackward(enc.kernel, enc.rowWidth, encoding.rows, batch, neg, B, k, dRows);
    const paramGrads = encoding.backward(dRows, this.p.auxWeight, this.gradE.grads);
    this.p.paramOptimizer.step(paramGrads);
    return dataLoss + this.p.auxWeight * encoding.auxLoss;
  }

  /** Steps 1-3 through tfjs encode/fuse for a model whose scorer has a kernel on representation rows. */
  private autodiffRepresentationStep(ids: Int32Array, batch: Int32Array, neg: Int32Array, B: number, k: number): number {
    const { model, tables } = this.p;
    const U = ids.length;
    const Ws = model.structuralWidth;
    const We = model.scorer.entityWidth;
    this.inputs ??= new ModalityInputs(model);
    const S = tf.tensor2d(tableRows(tables.entities, Ws, ids), [U, Ws]);
    const { features, masks } = this.inputs.rows(ids);
    let dataLoss = 0;
    let auxValue = 0;
    const scoreLoss = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const rep = (args[0] as tf.Tensor).dataSync() as Float32Array;
      const dRep = new Float32Array(rep.length);
      dataLoss = this.scoreAndBackward(model.scorer.kernel!, We, rep, batch, neg, B, k, dRep);
      return { value: tf.scalar(dataLoss), gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor2d(dRep, [U, We]))] };
    }) as never) as unknown as (rep: tf.Tensor) => tf.Scalar;

    const { inputGrads, paramGrads } = lossAndGrads(model.params, [S], ([St], p) => {
      const hs = model.encode(St as tf.Tensor2D, features, p);
      let total = scoreLoss(model.fuse(hs, masks, p));
      if (model.auxiliaryLoss && this.p.auxWeight > 0) {
        const aux = model.auxiliaryLoss(hs, masks, p);
        auxValue = (aux.dataSync() as Float32Array)[0];
        total = tf.add(total, tf.mul(this.p.auxWeight, aux)) as tf.Scalar;
      }
      return total;
    });
    tf.dispose([S, ...features, ...masks]);
    this.gradE.grads.set(inputGrads[0].subarray(0, U * Ws));
    this.p.paramOptimizer.step(paramGrads);
    return dataLoss + this.p.auxWeight * auxValue;
  }

  /**
   * Scores positives and negatives on the rows `rep` [U, We] (slot order) with a fused kernel,
   * takes the loss, and accumulates the score gradients into dRep and the relation gradient
   * (positives first, then negatives, each in batch order).
   */
  private scoreAndBackward(kernel: TripleKernel, We: number, rep: Float32Array, batch: Int32Array, neg: Int32Array, B: number, k: number, dRep: Float32Array): number {
    if (this.p.perTermLoss) return this.scoreAndBackwardPerTerm(kernel as TermKernel, We, rep, batch, neg, B, k, dRep);
    const Wr = this.p.model.scorer.relationWidth;
    const R = this.p.tables.relations;
    const posS = this.posScores.subarray(0, B);
    const negS = this.negScores.subarray(0, B * k);
    const ps = this.posSlots;
    const ns = this.negSlots;
    const shared = hasHeadQueries(kernel);
    if (shared) {
      if (this.query.length < kernel.queryWidth) this.query = new Float64Array(kernel.queryWidth);
      const q = this.query;
      for (let i = 0; i < B; i++) {
        const h = ps[2 * i];
        const r = batch[3 * i + 1];
        kernel.headQuery(rep, h * We, R, r * Wr, q);
        posS[i] = kernel.scoreQuery(q, rep, ps[2 * i + 1] * We);
        for (let n = i * k; n < i * k + k; n++) {
          negS[n] = ns[2 * n] === h && neg[3 * n + 1] === r
            ? kernel.scoreQuery(q, rep, ns[2 * n + 1] * We)
            : kernel.score(rep, ns[2 * n] * We, R, neg[3 * n + 1] * Wr, ns[2 * n + 1] * We);
        }
      }
    } else {
      for (let i = 0; i < B; i++) posS[i] = kernel.score(rep, ps[2 * i] * We, R, batch[3 * i + 1] * Wr, ps[2 * i + 1] * We);
      for (let i = 0; i < B * k; i++) negS[i] = kernel.score(rep, ns[2 * i] * We, R, neg[3 * i + 1] * Wr, ns[2 * i + 1] * We);
    }
    const gPos = this.gPos.subarray(0, B);
    const gNeg = this.gNeg.subarray(0, B * k);
    const loss = this.p.loss.compute(posS, negS, B, k, gPos, gNeg);
    const gR = this.gradR;
    gR.reserve(this.p.tables.numRelationRows); // before taking grads: no reallocation below
    const gRows = gR.grads;
    for (let i = 0; i < B; i++) {
      if (gPos[i] === 0) continue;
      const h = ps[2 * i] * We;
      const t = ps[2 * i + 1] * We;
      const r = batch[3 * i + 1];
      kernel.backward(rep, h, R, r * Wr, t, gPos[i], dRep, h, t, gRows, gR.slot(r) * Wr);
    }
    if (shared) {
      const q = this.query;
      for (let i = 0; i < B; i++) {
        const hs = ps[2 * i];
        const r = batch[3 * i + 1];
        let queried = false;
        for (let n = i * k; n < i * k + k; n++) {
          if (gNeg[n] === 0) continue;
          const h = ns[2 * n] * We;
          const t = ns[2 * n + 1] * We;
          const rn = neg[3 * n + 1];
          if (ns[2 * n] === hs && rn === r) {
            if (!queried) kernel.headQuery(rep, h, R, r * Wr, q);
            queried = true;
            kernel.backwardQuery(q, rep, t, gNeg[n], dRep, h, t, gRows, gR.slot(r) * Wr);
          } else {
            kernel.backward(rep, h, R, rn * Wr, t, gNeg[n], dRep, h, t, gRows, gR.slot(rn) * Wr);
          }
        }
      }
    } else {
      for (let n = 0; n < B * k; n++) {
        if (gNeg[n] === 0) continue;
        const h = ns[2 * n] * We;
        const t = ns[2 * n + 1] * We;
        const r = neg[3 * n + 1];
        kernel.backward(rep, h, R, r * Wr, t, gNeg[n], dRep, h, t, gRows, gR.slot(r) * Wr);
      }
    }
    return loss;
  }

  /**
   * The per-term loss: L = sum_j c_j L(score_j(pos), score_j(neg)), each term j of the kernel scored
   * and backpropagated alone with its own loss (a hinge per energy, as the official IKRL code
   * trains), c_j the kernel's termLossWeights. Same slot order and accumulation order per term as
   * scoreAndBackward (positives, then negatives, batch order); terms in kernel order.
   */
  private scoreAndBackwardPerTerm(kernel: TermKernel, We: number, rep: Float32Array, batch: Int32Array, neg: Int32Array, B: number, k: number, dRep: Float32Array): number {
    const Wr = this.p.model.scorer.relationWidth;
    const R = this.p.tables.relations;
    const posS = this.posScores.subarray(0, B);
    const negS = this.negScores.subarray(0, B * k);
    const gPos = this.gPos.subarray(0, B);
    const gNeg = this.gNeg.subarray(0, B * k);
    const ps = this.posSlots;
    const ns = this.negSlots;
    const gR = this.gradR;
    gR.reserve(this.p.tables.numRelationRows); // before taking grads: no reallocation below
    const gRows = gR.grads;
    let loss = 0;
    for (let j = 0; j < kernel.termCount; j++) {
      const c = kernel.termLossWeights[j];
      if (c === 0) continue;
      for (let i = 0; i < B; i++) posS[i] = kernel.scoreTerm(j, rep, ps[2 * i] * We, R, batch[3 * i + 1] * Wr, ps[2 * i + 1] * We);
      for (let i = 0; i < B * k; i++) negS[i] = kernel.scoreTerm(j, rep, ns[2 * i] * We, R, neg[3 * i + 1] * Wr, ns[2 * i + 1] * We);
      loss += c * this.p.loss.compute(posS, negS, B, k, gPos, gNeg);
      for (let i = 0; i < B; i++) {
        if (gPos[i] === 0) continue;
        const h = ps[2 * i] * We;
        const t = ps[2 * i + 1] * We;
        const r = batch[3 * i + 1];
        kernel.backwardTerm(j, rep, h, R, r * Wr, t, c * gPos[i], dRep, h, t, gRows, gR.slot(r) * Wr);
      }
      for (let n = 0; n < B * k; n++) {
        if (gNeg[n] === 0) continue;
        const h = ns[2 * n] * We;
        const t = ns[2 * n + 1] * We;
        const r = neg[3 * n + 1];
        kernel.backwardTerm(j, rep, h, R, r * Wr, t, c * gNeg[n], dRep, h, t, gRows, gR.slot(r) * Wr);
      }
    }
    return loss;
  }

  private ensureCapacity(B: number, k: number): void {
    if (this.gPos.length >= B && this.gNeg.length >= B * k) return;
    this.neg = new Int32Array(3 * B * k);
    this.posSlots = new Int32Array(2 * B);
    this.negSlots = new Int32Array(2 * B * k);
    this.gPos = new Float32Array(B);
    this.gNeg = new Float32Array(B * k);
    this.posScores = new Float32Array(B);
    this.negScores = new Float32Array(B * k);
  }

  dispose(): void {
    this.inputs?.dispose();
  }
}

