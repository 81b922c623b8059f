import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../scorer';
import { SparseGradient } from '../optim';
import type { FilterIndex } from '../filter';
import type { KgTables } from './model';
import { regularizeRow, type TableUpdateParts } from './regularizer';
import type { DenseHead, HeadLoss } from '../dense/head';
import { scatterAddRows, scatterAddSparse } from '../rows';
import type { QueryBatch } from './batches';
import { mixedQuery, querySides } from './query';
import type { TrainingStep } from './step';

/** What one 1-vs-all / KvsAll batch needs besides the queries. */
export interface OneVsAllParts extends TableUpdateParts {
  scorer: Scorer;
  tables: KgTables;
  /** `1vsall`: softmax cross-entropy against the one true answer (Lacroix et al. 2018).
   *  `kvsall`: every training answer of the query is a positive (Dettmers et al. 2018). */
  mode: '1vsall' | 'kvsall';
  /** KvsAll loss: `bce` (sum over candidates of BCE, mean over queries) or `ce` (softmax CE against the normalised multi-hot). */
  loss: 'ce' | 'bce';
  labelSmoothing: number;
  /** Training answers per query, for KvsAll targets. */
  trainAnswers?: FilterIndex;
  /** The engine of the all-entity product, its loss and gradients. */
  head: DenseHead;
}

/**
 * One step of 1-vs-all (or KvsAll) training: Q from the scorer's differentiable
 * queryTail/queryHead (tfjs), then the dense head (src/dense) scores Q against every entity,
 * takes the loss and returns dQ and dE = G^T Q; dQ goes back through the scorer's query to the
 * anchor and relation rows; then a dense update of the entity table (every row has a gradient)
 * and sparse updates of the relation rows. Needs rankForm 'dot'.
 */
export class OneVsAllStep implements TrainingStep<QueryBatch> {
  private readonly denseGradE: Float32Array;
  private readonly gradR: SparseGradient;
  private dQ = new Float32Array(0);
  private Y = new Float32Array(0);

  constructor(private readonly p: OneVsAllParts) {
    const { scorer, tables } = p;
    if (scorer.rankForm !== 'dot' || !scorer.queryTail || !scorer.queryHead) {
      throw new Error(
        `${p.mode} training needs a scorer whose score is a dot product with the candidate (rankForm 'dot', queryTail, queryHead); ` +
          `'${scorer.name}' has rankForm '${scorer.rankForm ?? 'none'}'. Use --training negative-sampling.`,
      );
    }
    this.denseGradE = new Float32Array(tables.numEntities * scorer.entityWidth);
    this.gradR = new SparseGradient(tables.numRelationRows, scorer.relationWidth, tables.numRelationRows);
  }

  /** Train on the first `count` queries of q; returns the batch loss (data term + regulariser). */
  run(q: QueryBatch, count = q.count): number {
    const { scorer, tables, head } = this.p;
    const We = scorer.entityWidth;
    const Wr = scorer.relationWidth;
    const n = tables.numEntities;
    const B = count;
    const E = tables.entities;
    const R = tables.relations;

    const anchorRows = new Float32Array(B * We);
    const relRows = new Float32Array(B * Wr);
    for (let i = 0; i < B; i++) {
      anchorRows.set(E.subarray(q.anchors[i] * We, q.anchors[i] * We + We), i * We);
      relRows.set(R.subarray(q.relations[i] * Wr, q.relations[i] * Wr + Wr), i * Wr);
    }
    const A = tf.tensor2d(anchorRows, [B, We]);
    const Rel = tf.tensor2d(relRows, [B, Wr]);
    const { side, allTail } = querySides(q.tailSide, B);
    const query = (a: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D => mixedQuery(scorer, a, r, side, allTail);
    // The scorer builds Q in tfjs; the all-entity product and its loss run in the dense engine.
    const QT = tf.tidy(() => query(A, Rel));
    const Q = QT.dataSync() as Float32Array;
    QT.dispose();
    const dQ = this.dQ.length >= B * We ? this.dQ : (this.dQ = new Float32Array(B * We));
    const gE = this.denseGradE;
    const loss = head.lossAndGrads({ Q, E, B, N: n, d: We }, this.headLoss(q, B), { dQ, dE: gE });
    const [dAT, dRT] = tf.tidy(() => {
      const dQt = tf.tensor2d(dQ.subarray(0, B * We), [B, We]);
      return tf.grads((a: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(query(a as tf.Tensor2D, r as tf.Tensor2D), dQt)))([A, Rel]);
    });
    const dA = dAT.dataSync() as Float32Array;
    const dR = dRT.dataSync() as Float32Array;
    tf.dispose([dAT, dRT, A, Rel, side]);

    const gR = this.gradR;
    gR.reset();
    scatterAddRows(gE, q.anchors, dA, We, B);
    scatterAddSparse(gR, q.relations, dR, B);
    const penalty = this.regularize(q, B);
    this.p.entityOptimizer.stepDense(E, We, gE);
    this.p.relationOptimizer.step(R, Wr, gR.rows, gR.count, gR.grads);
    return loss + penalty;
  }

  /** The head's loss: 1-vs-all CE against the answer, or KvsAll BCE/CE against the training answers. */
  private headLoss(q: QueryBatch, B: number): HeadLoss {
    if (this.p.mode === '1vsall') return { loss: 'ce', targets: { kind: 'index', answers: q.answers.subarray(0, B), smoothing: this.p.labelSmoothing } };
    return { loss: this.p.loss, targets: { kind: 'rows', rows: this.targets(q, B) } };
  }

  /** Dense [B, n] KvsAll target rows: the training answers, label-smoothed (reused buffer). */
  private targets(q: QueryBatch, B: number): Float32Array {
    const n = this.p.tables.numEntities;
    if (this.Y.length < B * n) this.Y = new Float32Array(B * n);
    const Y = this.Y;
    Y.fill(0, 0, B * n);
    const eps = this.p.labelSmoothing;
    for (let i = 0; i < B; i++) {
      const answers = q.tailSide[i] ? this.p.trainAnswers!.tails(q.anchors[i], q.relations[i]) : this.p.trainAnswers!.heads(q.relations[i], q.anchors[i]);
      const value = this.p.loss === 'ce' ? 1 / answers.length : 1;
      for (const a of answers) Y[i * n + a] = value;
      if (eps > 0) for (let j = 0; j < n; j++) Y[i * n + j] = (1 - eps) * Y[i * n + j] + eps / n;
    }
    return Y;
  }

  /** N3/L2 on the factors of each query (anchor, relation, answer), weight / B (kbc's recipe). */
  private regularize(q: QueryBatch, B: number): number {
    const { regularizer, regWeight, tables, scorer } = this.p;
    if (regularizer === 'none' || regWeight === 0) return 0;
    const We = scorer.entityWidth;
    const Wr = scorer.relationWidth;
    const scale = regWeight / B;
    let penalty = 0;
    for (let i = 0; i < B; i++) {
      const a = q.anchors[i];
      const b = q.answers[i];
      const r = q.relations[i];
      penalty += regularizeRow(regularizer, scale, tables.entities, a * We, We, this.p.complexEntities, this.denseGradE, a * We);
      penalty += regularizeRow(regularizer, scale, tables.entities, b * We, We, this.p.complexEntities, this.denseGradE, b * We);
      penalty += regularizeRow(regularizer, scale, tables.relations, r * Wr, Wr, this.p.complexRelations, this.gradR.grads, this.gradR.slot(r) * Wr);
    }
    return penalty;
  }
}
