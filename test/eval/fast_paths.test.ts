import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { rankLinkPrediction, type EvalMethod, type LinkPredictionOptions } from '../../eval/link_prediction';
import type { LinkPredictionRanks } from '../../eval/metrics';
import { selectBackend } from '../../src/backend';
import { FilterIndex } from '../../src/filter';
import { Rng } from '../../src/rng';
import type { RankForm } from '../../src/scorer';
import { allTestScorers, referenceRanks, withoutRankForm, type TestScorer } from '../../eval/reference_scorers';

// n not a multiple of the kernel block (8) nor of the claim size, to exercise remainders.
const N = 37;
const NR = 5;
const DIM = 6;

function randomTriples(rng: Rng, count: number): Int32Array {
  const out = new Int32Array(count * 3);
  for (let i = 0; i < count; i++) {
    out[3 * i] = rng.int(N);
    out[3 * i + 1] = rng.int(NR);
    out[3 * i + 2] = rng.int(N);
  }
  return out;
}

function tables(scorer: TestScorer, seed: number): { E: Float32Array; R: Float32Array } {
  const rng = new Rng(seed);
  const E = new Float32Array(N * scorer.entityWidth);
  const R = new Float32Array(NR * scorer.relationWidth);
  scorer.initEntities(E, N, rng.derive('e'));
  scorer.initRelations(R, NR, rng.derive('r'));
  // duplicate entity rows 5 and 6: exact ties every fast path must keep as ties
  E.copyWithin(6 * scorer.entityWidth, 5 * scorer.entityWidth, 6 * scorer.entityWidth);
  return { E, R };
}

function plain(r: LinkPredictionRanks) {
  return {
    head: { optimistic: Array.from(r.head!.optimistic), pessimistic: Array.from(r.head!.pessimistic) },
    tail: { optimistic: Array.from(r.tail!.optimistic), pessimistic: Array.from(r.tail!.pessimistic) },
  };
}

const fastMethods: Record<RankForm, EvalMethod[]> = {
  dot: ['matmul', 'loop'],
  l2: ['matmul', 'loop'],
  l1: ['loop'],
  'complex-l1': ['loop'],
};

describe('eval fast paths vs broadcast fallback vs brute force', function () {
  const rng = new Rng(2024);
  const train = randomTriples(rng.derive('train'), 250);
  const test = randomTriples(rng.derive('test'), 45);
  // make sure some test triples hit the duplicated rows 5 and 6
  test.set([5, 0, 6, 6, 1, 5, 2, 2, 5], 0);
  const filter = new FilterIndex(N, NR, [train, test]);

  before(async () => {
    try {
      await selectBackend('wasm');
    } catch {
      await selectBackend('cpu');
    }
  });

  const scorers = allTestScorers(DIM);
  for (const form of Object.keys(scorers) as RankForm[]) {
    const scorer = scorers[form];
    describe(`rankForm ${form}`, () => {
      const { E, R } = tables(scorer, 11);
      const opts = (extra: Partial<LinkPredictionOptions>): LinkPredictionOptions => ({
        scorer, entities: E, relations: R, numEntities: N, numRelations: NR, triples: test, ...extra,
      });

      for (const filtered of [false, true]) {
        const f = filtered ? filter : undefined;
        it(`${filtered ? 'filtered' : 'unfiltered'}: every method = broadcast = brute force, no leaked tensors`, async () => {
          const want = {
            head: referenceRanks(scorer, E, R, N, test, f, 'head'),
            tail: referenceRanks(scorer, E, R, N, test, f, 'tail'),
          };
          const before = tf.memory().numTensors;
          const generic = plain(await rankLinkPrediction(opts({ scorer: withoutRankForm(scorer), filter: f, batchSize: 10 })));
          expect(generic, 'broadcast').to.deep.equal(want);
          for (const method of fastMethods[form]) {
            const got = plain(await rankLinkPrediction(opts({ method, filter: f, batchSize: 16, workers: 2 })));
            expect(got, method).to.deep.equal(want);
          }
          expect(tf.memory().numTensors).to.equal(before);
        });
      }

      it('filtered ranks are <= unfiltered ranks, strictly better somewhere', async () => {
        const raw = await rankLinkPrediction(opts({ workers: 1 }));
        const fil = await rankLinkPrediction(opts({ filter, workers: 1 }));
        let improved = 0;
        for (const d of ['head', 'tail'] as const) {
          for (let i = 0; i < test.length / 3; i++) {
            expect(fil[d]!.optimistic[i]).to.be.at.most(raw[d]!.optimistic[i]);
            expect(fil[d]!.pessimistic[i]).to.be.at.most(raw[d]!.pessimistic[i]);
            if (fil[d]!.pessimistic[i] < raw[d]!.pessimistic[i]) improved++;
          }
        }
        expect(improved).to.be.greaterThan(0);
      });

      it('identical for workers 0, 1, 2, 3 and any batch size', async () => {
        const ref = plain(await rankLinkPrediction(opts({ method: 'loop', filter, workers: 0 })));
        for (const [workers, batchSize] of [[1, 4096], [2, 7], [3, 13], [2, 45]]) {
          const got = plain(await rankLinkPrediction(opts({ method: 'loop', filter, workers, batchSize })));
          expect(got, `workers=${workers} batch=${batchSize}`).to.deep.equal(ref);
        }
        if (form === 'dot' || form === 'l2') {
          for (const batchSize of [1, 8, 1000]) {
            const got = plain(await rankLinkPrediction(opts({ method: 'matmul', filter, batchSize })));
            expect(got, `matmul batch=${batchSize}`).to.deep.equal(ref);
          }
        }
      });
    });
  }

  it('tables already in a SharedArrayBuffer are used as they are, same ranks', async () => {
    const scorer = scorers['complex-l1'];
    const { E, R } = tables(scorer, 11);
    const sharedE = new Float32Array(new SharedArrayBuffer(E.byteLength));
    sharedE.set(E);
    const base = { scorer, relations: R, numEntities: N, numRelations: NR, triples: test, filter, workers: 2 };
    const a = plain(await rankLinkPrediction({ ...base, entities: E }));
    const b = plain(await rankLinkPrediction({ ...base, entities: sharedE }));
    expect(b).to.deep.equal(a);
  });

  it('exact ties from duplicate rows: optimistic and pessimistic differ by one', async () => {
    const scorer = scorers.l1;
    const { E, R } = tables(scorer, 11);
    // test triple 0 is (5, 0, 6): tail 6 is tied with entity 5 (identical rows) unless filtered
    const r = await rankLinkPrediction({
      scorer, entities: E, relations: R, numEntities: N, numRelations: NR, triples: test.subarray(0, 3), workers: 1,
    });
    expect(r.tail!.pessimistic[0] - r.tail!.optimistic[0]).to.equal(1);
  });
});
