import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../src/backend';
import { resolveConfig, runTraining, type RunMetrics } from '../../src/app/run';
import { FilterIndex } from '../../src/filter';
import { Rng } from '../../src/rng';
import { createTables } from '../../src/train/model';
import { createScorer } from '../../baselines/kg/registry';
import { rankLinkPrediction } from '../../eval/link_prediction';
import { ENGINE_NAMES, type EngineName } from '../../src/dense/head';
import { createEngine } from '../../src/dense/select';

/** Engines that load here (GPU ones without an adapter are reported by engines.test.ts). */
function cpuEngines(): EngineName[] {
  return ENGINE_NAMES.filter((n) => {
    if (n === 'ort-webgpu' || n === 'ort-cuda') {
      try {
        createEngine(n).dispose();
        return true;
      } catch {
        return false;
      }
    }
    return true;
  });
}

/**
 * A small KG with learnable structure: 40 entities, r0: e -> e+1, r1: e -> e+5 (mod 40),
 * r2 symmetric pairs; 10% of triples held out for valid and test each (seeded).
 */
function writeSmallKg(dir: string): void {
  const n = 40;
  const triples: string[] = [];
  for (let e = 0; e < n; e++) {
    triples.push(`e${e}\tr0\te${(e + 1) % n}`, `e${e}\tr1\te${(e + 5) % n}`);
    if (e % 2 === 0) triples.push(`e${e}\tr2\te${e + 1}`, `e${e + 1}\tr2\te${e}`);
  }
  const rng = new Rng(5);
  const order = Int32Array.from(triples.keys());
  rng.shuffle(order);
  const k = Math.round(triples.length / 10);
  const pick = (a: number, b: number): string => Array.from(order.subarray(a, b), (i) => triples[i]).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'test.tsv'), pick(0, k));
  fs.writeFileSync(path.join(dir, 'valid.tsv'), pick(k, 2 * k));
  fs.writeFileSync(path.join(dir, 'train.tsv'), pick(2 * k, triples.length));
}

describe('dense engines: same ranks and same test MRR', function () {
  const engines = cpuEngines();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dense-kg-'));
  before(async () => {
    await selectBackend('wasm');
    writeSmallKg(dataDir);
  });

  for (const [model, norm] of [['distmult', 1], ['complex', 1], ['transe', 2]] as [string, 1 | 2][]) {
    it(`${model}${model === 'transe' ? '-L2 (by expansion)' : ''}: every engine gives the reference filtered ranks`, async () => {
      const scorer = createScorer(model, { dim: 8, norm });
      const n = 50;
      const nr = 3;
      const tables = createTables(scorer, n, nr, new Rng(11), 0);
      const rng = new Rng(12);
      const triples = Int32Array.from({ length: 3 * 60 }, (_, i) => (i % 3 === 1 ? rng.int(nr) : rng.int(n)));
      const filter = new FilterIndex(n, nr, [triples]);
      const ranksOf = async (name: EngineName) => {
        const engine = createEngine(name);
        try {
          return await rankLinkPrediction({ scorer, entities: tables.entities, relations: tables.relations, numEntities: n, numRelations: nr, triples, filter, method: 'matmul', engine, batchSize: 7 });
        } finally {
          engine.dispose();
        }
      };
      const ref = await ranksOf('js');
      for (const name of engines) {
        const r = await ranksOf(name);
        for (const dir of ['head', 'tail'] as const) {
          expect(Array.from(r[dir]!.optimistic), `${name} ${dir}`).to.deep.equal(Array.from(ref[dir]!.optimistic));
          expect(Array.from(r[dir]!.pessimistic), `${name} ${dir}`).to.deep.equal(Array.from(ref[dir]!.pessimistic));
        }
      }
    });
  }

  for (const extra of [{ model: 'complex' }, { model: 'distmult', training: 'kvsall', loss: 'bce', reciprocal: false, labelSmoothing: 0.1 }]) {
    it(`training ${JSON.stringify(extra)} with every engine gives the same losses and test MRR`, async () => {
      const results: [EngineName, RunMetrics, string][] = [];
      for (const engine of engines) {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dense-run-'));
        const config = resolveConfig({}, { dataset: dataDir, dim: 8, epochs: 15, batchSize: 16, evalEvery: 0, patience: 0, backend: 'wasm', out, engine, lr: 0.3, ...extra } as never);
        const m = await runTraining(config, { quiet: true, log: () => undefined });
        results.push([engine, m, fs.readFileSync(path.join(out, 'loss.csv'), 'utf8')]);
      }
      const [refName, ref, refLoss] = results.find(([e]) => e === 'js')!;
      expect(ref.test.both.mrr, 'the model learns the small KG').to.be.greaterThan(0.3);
      const lossCol = (csv: string) => csv.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
      for (const [name, m, csv] of results) {
        expect(m.engine.startsWith(name), m.engine).to.equal(true);
        expect(m.test.both.mrr, `${name} vs ${refName} test MRR`).to.be.closeTo(ref.test.both.mrr, 1e-3);
        const a = lossCol(csv);
        const b = lossCol(refLoss);
        a.forEach((x, i) => expect(Math.abs(x - b[i]) / b[i], `${name} epoch ${i + 1} loss`).to.be.lessThan(1e-3));
      }
    });
  }
});
