import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { evaluateLinkPrediction, rankLinkPrediction, resolveMethod, type EvalMethod } from '../../eval/link_prediction';
import type { LinkPredictionMetrics, RankMetrics } from '../../eval/metrics';
import { selectBackend } from '../../src/backend';
import { FilterIndex } from '../../src/filter';
import { dotScorer, transScorer, withoutRankForm } from '../../eval/reference_scorers';
import { expectReject } from '../expect_reject';

/**
 * 4 entities with scalar embeddings E = [3, 1, 2, 2], one relation r = [1], DistMult score
 * h*r*t. train: (0,0,2), (2,0,0); test: (0,0,1), (2,0,3).
 *   (0,0,1) tail: scores [9,3,6,6], truth 1 -> raw 4/4; filtered (drop 2) 3/3
 *           head: scores [3,1,2,2], truth 0 -> 1/1 both
 *   (2,0,3) tail: scores [6,2,4,4], truth 3 -> raw 2/3 (0 better, 2 tied); filtered (drop 0) 1/2
 *           head: scores [6,2,4,4], truth 2 -> 2/3 both (only 2 is a known head)
 */
const E = Float32Array.from([3, 1, 2, 2]);
const R = Float32Array.from([1]);
const train = Int32Array.from([0, 0, 2, 2, 0, 0]);
const test = Int32Array.from([0, 0, 1, 2, 0, 3]);
const filter = new FilterIndex(4, 1, [train, test]);
const base = { entities: E, relations: R, numEntities: 4, numRelations: 1, triples: test };

function expectMetrics(got: RankMetrics, want: RankMetrics): void {
  for (const k of Object.keys(want) as (keyof RankMetrics)[]) expect(got[k], k).to.be.closeTo(want[k], 1e-12);
}

describe('eval/link_prediction', function () {
  before(async () => {
    try {
      await selectBackend('wasm');
    } catch {
      await selectBackend('cpu');
    }
  });

  const methods: EvalMethod[] = ['matmul', 'loop', 'broadcast'];
  for (const method of methods) {
    describe(`4-entity fixture, method ${method}`, () => {
      it('unfiltered ranks and metrics', async () => {
        const before = tf.memory().numTensors;
        const ranks = await rankLinkPrediction({ ...base, scorer: dotScorer(1), method, workers: 1 });
        expect(Array.from(ranks.tail!.optimistic)).to.deep.equal([4, 2]);
        expect(Array.from(ranks.tail!.pessimistic)).to.deep.equal([4, 3]);
        expect(Array.from(ranks.head!.optimistic)).to.deep.equal([1, 2]);
        expect(Array.from(ranks.head!.pessimistic)).to.deep.equal([1, 3]);
        const m = await evaluateLinkPrediction({ ...base, scorer: dotScorer(1), method, workers: 1 });
        expect(m.filtered).to.equal(false);
        expect(m.count).to.equal(2);
        // realistic: head [1, 2.5], tail [4, 2.5]
        expectMetrics(m.head, { mr: 1.75, mrr: 0.7, 'hits@1': 0.5, 'hits@3': 1, 'hits@10': 1 });
        expectMetrics(m.tail, { mr: 3.25, mrr: 0.325, 'hits@1': 0, 'hits@3': 0.5, 'hits@10': 1 });
        expectMetrics(m.both, { mr: 2.5, mrr: 0.5125, 'hits@1': 0.25, 'hits@3': 0.75, 'hits@10': 1 });
        expect(tf.memory().numTensors).to.equal(before);
      });

      it('filtered ranks and metrics', async () => {
        const before = tf.memory().numTensors;
        const m = await evaluateLinkPrediction({ ...base, scorer: dotScorer(1), method, filter, workers: 2 });
        expect(m.filtered).to.equal(true);
        // realistic: head [1, 2.5], tail [3, 1.5]
        expectMetrics(m.head, { mr: 1.75, mrr: 0.7, 'hits@1': 0.5, 'hits@3': 1, 'hits@10': 1 });
        expectMetrics(m.tail, { mr: 2.25, mrr: 0.5, 'hits@1': 0, 'hits@3': 1, 'hits@10': 1 });
        expectMetrics(m.both, { mr: 2, mrr: 0.6, 'hits@1': 0.25, 'hits@3': 1, 'hits@10': 1 });
        expect(m.mrrBounds!.tail.optimistic).to.be.closeTo((1 / 3 + 1) / 2, 1e-12);
        expect(m.mrrBounds!.tail.pessimistic).to.be.closeTo((1 / 3 + 1 / 2) / 2, 1e-12);
        expect(tf.memory().numTensors).to.equal(before);
      });
    });
  }

  it('directions: only the requested side is ranked; the other is NaN', async () => {
    const m = await evaluateLinkPrediction({ ...base, scorer: dotScorer(1), filter, directions: ['tail'] });
    expect(Number.isNaN(m.head.mrr)).to.equal(true);
    expect(m.both).to.deep.equal(m.tail);
    expect(m.tail.mr).to.equal(2.25);
  });

  it('reports progress up to triples x directions', async () => {
    const calls: [number, number][] = [];
    await evaluateLinkPrediction({ ...base, scorer: dotScorer(1), batchSize: 1, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls).to.deep.equal([[1, 4], [2, 4], [3, 4], [4, 4]]);
  });

  it('auto picks matmul for dot/l2, loop for l1, broadcast without rankForm', () => {
    expect(resolveMethod(dotScorer(2))).to.equal('matmul');
    expect(resolveMethod(transScorer(2, 2))).to.equal('matmul');
    expect(resolveMethod(transScorer(2, 1))).to.equal('loop');
    expect(resolveMethod(withoutRankForm(dotScorer(2)))).to.equal('broadcast');
    expect(() => resolveMethod(transScorer(2, 1), 'matmul')).to.throw(/matmul/);
    expect(() => resolveMethod(withoutRankForm(dotScorer(2)), 'loop')).to.throw(/rankForm/);
  });

  it('NaN true score rejects with NaNScoreError naming the triple', async () => {
    const bad = Float32Array.from([3, NaN, 2, 2]);
    for (const method of methods) {
      const before = tf.memory().numTensors;
      let err: Error | undefined;
      try {
        await rankLinkPrediction({ ...base, entities: bad, scorer: dotScorer(1), method, directions: ['tail'], workers: 2 });
      } catch (e) {
        err = e as Error;
      }
      expect(err, method).to.be.instanceOf(Error);
      expect(err!.name).to.equal('NaNScoreError');
      expect(err!.message).to.match(/tail prediction of test triple #0/);
      expect(tf.memory().numTensors).to.equal(before);
    }
  });

  it('NaN candidate scores count against the truth and are reported', async () => {
    // entity 3 NaN: (0,0,1) tail raw: better {0, 2, 3(NaN)} -> 4; (2,0,3) truth is NaN -> only test head of (0,0,1)
    const bad = Float32Array.from([3, 1, 2, NaN]);
    for (const method of methods) {
      const m: LinkPredictionMetrics = await evaluateLinkPrediction({
        ...base, entities: bad, triples: test.subarray(0, 3), scorer: dotScorer(1), method, workers: 1,
      });
      // head of (0,0,1): scores [3,1,2,NaN], truth 0 -> 2 (NaN counted better, not rank 1)
      expect(m.head.mr, method).to.equal(2);
      expect(m.tail.mr, method).to.equal(4);
      expect(m.nanCandidates, method).to.equal(2);
    }
  });

  it('validates its inputs', async () => {
    const bad = (o: object) => rankLinkPrediction({ ...base, scorer: dotScorer(1), ...o });
    await expectReject(bad({ entities: new Float32Array(3) }), /entity table/);
    await expectReject(bad({ triples: Int32Array.from([0, 0, 4]) }), /outside/);
    await expectReject(bad({ triples: Int32Array.from([0, 0]) }), /multiple of 3/);
    await expectReject(bad({ filter: new FilterIndex(5, 1, []) }), /filter index/);
    await expectReject(bad({ directions: [] }), /directions/);
    await expectReject(bad({ batchSize: 0 }), /batchSize/);
  });
});
