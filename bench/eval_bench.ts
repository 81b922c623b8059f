/**
 * Timing of `evaluateLinkPrediction` at FB-IMG size (a measurement, not a test):
 * random tables of 11,757 entities x 200 floats, 1,231 relations, 34,863 random test triples,
 * filtered by ~350k random known triples, both directions.
 *
 *   node dist/bench/eval_bench.js [--form dot|l2|l1|complex-l1|all] [--triples N] [--workers W]
 *                                 [--method auto|matmul|loop|broadcast] [--batch B] [--backend wasm|cpu]
 *
 * With --triples below 34,863 the time is also extrapolated linearly to the full test set
 * (the cost is linear in the number of triples). Peak RSS is the process's maxRSS, which
 * includes worker threads (same process); it is a lifetime peak, so run one form per process
 * for a clean per-form number.
 */
import { evaluateLinkPrediction, type EvalMethod } from '../eval/link_prediction';
import { selectBackend, type BackendName } from '../src/backend';
import { FilterIndex } from '../src/filter';
import { Rng } from '../src/rng';
import type { RankForm } from '../src/scorer';
import { allTestScorers } from '../eval/reference_scorers';
import { flag } from '../src/app/flags';

const FB_IMG = { entities: 11757, relations: 1231, test: 34863, known: 285850 + 29580 };
const WIDTH = 200;

function randomTriples(rng: Rng, count: number): Int32Array {
  const out = new Int32Array(count * 3);
  for (let i = 0; i < count; i++) {
    out[3 * i] = rng.int(FB_IMG.entities);
    out[3 * i + 1] = rng.int(FB_IMG.relations);
    out[3 * i + 2] = rng.int(FB_IMG.entities);
  }
  return out;
}

async function main(): Promise<void> {
  const backend = await selectBackend(flag('backend', 'wasm') as BackendName);
  const formArg = flag('form', 'all');
  const forms: RankForm[] = formArg === 'all' ? ['dot', 'l2', 'l1', 'complex-l1'] : [formArg as RankForm];
  const count = Math.min(FB_IMG.test, Number(flag('triples', String(FB_IMG.test))));
  const workersArg = flag('workers', '');
  const workers = workersArg === '' ? undefined : Number(workersArg);
  const method = flag('method', 'auto') as EvalMethod;
  const batchArg = flag('batch', '');
  const batchSize = batchArg === '' ? undefined : Number(batchArg);

  const rng = new Rng(1);
  const test = randomTriples(rng.derive('test'), FB_IMG.test);
  const filter = new FilterIndex(FB_IMG.entities, FB_IMG.relations, [randomTriples(rng.derive('known'), FB_IMG.known), test]);
  const scorers = allTestScorers(WIDTH);
  console.log(`RSS before evaluating (tfjs + filter index): ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  console.log(`backend ${backend}; ${FB_IMG.entities} entities x ${WIDTH} floats; ${count} of ${FB_IMG.test} test triples; both directions, filtered`);
  for (const form of forms) {
    // complex-l1: dim/2 complex coordinates, so the entity row is still 200 floats
    const scorer = form === 'complex-l1' ? allTestScorers(WIDTH / 2)[form] : scorers[form];
    const E = new Float32Array(FB_IMG.entities * scorer.entityWidth);
    const R = new Float32Array(FB_IMG.relations * scorer.relationWidth);
    scorer.initEntities(E, FB_IMG.entities, rng.derive(`e-${form}`));
    scorer.initRelations(R, FB_IMG.relations, rng.derive(`r-${form}`));
    const m = await evaluateLinkPrediction({
      scorer, entities: E, relations: R, numEntities: FB_IMG.entities, numRelations: FB_IMG.relations,
      triples: test.subarray(0, 3 * count), filter, workers, method, batchSize,
    });
    const full = (m.seconds * FB_IMG.test) / count;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `${form.padEnd(10)} ${m.seconds.toFixed(1)} s for ${count} triples` +
        (count < FB_IMG.test ? ` (extrapolated to the full test set: ${full.toFixed(1)} s)` : '') +
        `; peak RSS ${rssMb.toFixed(0)} MB; MRR ${m.both.mrr.toFixed(5)} (random tables)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
