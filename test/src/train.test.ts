import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../src/backend';
import { evaluator, finishedRunPlan, loadSavedModel, resolveConfig, runTraining, trainOrReuse } from '../../src/app/run';
import type { RunConfig } from '../../src/app/run_config';
import { FilterIndex } from '../../src/filter';
import { loadKgDataset } from '../../kg-data/loader';
import { readBundle } from '../../src/tensor_file';
import { readLossCurve } from '../../src/train/loss_curve';

const TINY = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kg', 'tiny');
const quiet = { quiet: true, log: () => {} };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-train-'));
}

/** The valid MRR of every epoch in a run's loss.csv (null: not validated). */
const validCurve = (dir: string): (number | null)[] => readLossCurve(path.join(dir, 'loss.csv')).map((r) => r.validMrr);

function tinyConfig(over: Partial<RunConfig>): RunConfig {
  return resolveConfig({}, { dataset: TINY, dim: 8, epochs: 6, batchSize: 4, evalEvery: 2, patience: 0, backend: 'wasm', out: tmpDir(), ...over });
}

describe('training loop', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const [model, extra] of [
    ['transe', {}],
    ['distmult', {}],
    ['complex', {}],
    ['rotate', { negatives: 4 }],
    ['transe', { useKernel: false }],
    ['distmult', { training: 'negative-sampling', loss: 'softplus', regularizer: 'l2', regWeight: 1e-3 }],
    ['complex', { training: 'kvsall', loss: 'bce', reciprocal: false }],
  ] as [string, Partial<RunConfig>][]) {
    it(`trains ${model} ${JSON.stringify(extra)} and writes the run directory`, async () => {
      const config = tinyConfig({ model, ...extra });
      const metrics = await runTraining(config, quiet);
      for (const f of ['config.json', 'metrics.json', 'loss.csv', 'model-best.bin', 'checkpoint.bin']) {
        expect(fs.existsSync(path.join(config.out, f)), f).to.equal(true);
      }
      expect(metrics.test.filtered).to.equal(true);
      // metrics.json holds what the run returned, and the saved best model ranks test exactly so.
      const written = JSON.parse(fs.readFileSync(path.join(config.out, 'metrics.json'), 'utf8'));
      expect(written.test.both).to.deep.equal(metrics.test.both);
      const ds = await loadKgDataset(TINY);
      const saved = await loadSavedModel(config.out, config, ds);
      const filter = new FilterIndex(ds.entities.length, ds.relations.length, [ds.train, ds.valid, ds.test]);
      const again = await evaluator(config, ds)(saved.scorer, saved.entities, saved.relations, ds.test, filter);
      expect(again.both).to.deep.equal(metrics.test.both);
      expect(metrics.modalities).to.deep.equal(['structure']);
      const valid = validCurve(config.out);
      expect(valid.length).to.equal(config.epochs);
      // the final epoch's valid MRR (the evaluation after the loop) is in the curve too
      const lastValid = valid[valid.length - 1];
      expect(lastValid, "the final epoch's valid MRR").to.not.equal(null);
      if (metrics.bestEpoch === config.epochs) expect(lastValid).to.equal(metrics.valid.both.mrr);
    });
  }

  it('same seed and config give identical metrics; another seed differs', async () => {
    const a = await runTraining(tinyConfig({ model: 'transe', seed: 7 }), quiet);
    const b = await runTraining(tinyConfig({ model: 'transe', seed: 7 }), quiet);
    const c = await runTraining(tinyConfig({ model: 'transe', seed: 8 }), quiet);
    expect(a.test).to.deep.include({ both: b.test.both });
    expect(JSON.stringify(a.valid.both)).to.equal(JSON.stringify(b.valid.both));
    expect(JSON.stringify(c.test.both) === JSON.stringify(a.test.both) && JSON.stringify(c.valid.both) === JSON.stringify(a.valid.both)).to.equal(false);
  });

  for (const model of ['transe', 'complex']) {
    it(`resume of a stopped ${model} run reproduces the uninterrupted run bit for bit`, async () => {
      const full = tinyConfig({ model, epochs: 6, seed: 3 });
      await runTraining(full, quiet);
      // A 4-epoch run continued to 6: its final evaluation (epoch 4) is one the 6-epoch schedule makes too.
      const part = tinyConfig({ model, epochs: 4, seed: 3 });
      await runTraining(part, quiet);
      await runTraining({ ...part, epochs: 6 }, { ...quiet, resume: true });
      const x = readBundle(path.join(full.out, 'checkpoint.bin'));
      const y = readBundle(path.join(part.out, 'checkpoint.bin'));
      expect(Buffer.from((x.entities as Float32Array).buffer).equals(Buffer.from((y.entities as Float32Array).buffer))).to.equal(true);
      expect(Buffer.from((x.relations as Float32Array).buffer).equals(Buffer.from((y.relations as Float32Array).buffer))).to.equal(true);
      const mx = JSON.parse(fs.readFileSync(path.join(full.out, 'metrics.json'), 'utf8'));
      const my = JSON.parse(fs.readFileSync(path.join(part.out, 'metrics.json'), 'utf8'));
      expect(my.test.both).to.deep.equal(mx.test.both);
      expect(my.bestEpoch).to.equal(mx.bestEpoch);
      expect(validCurve(part.out)).to.deep.equal(validCurve(full.out));
    });
  }

  it('a run continued to more --epochs keeps its last evaluation, so the best model is the one its curve names', async () => {
    // 3 epochs validated at 2 and 3 (the final one), then continued to 6: epoch 3 stays in the curve and in the race for the best model.
    const part = tinyConfig({ model: 'distmult', epochs: 3, seed: 5 });
    await runTraining(part, quiet);
    const metrics = await runTraining({ ...part, epochs: 6 }, { ...quiet, resume: true });
    const valid = validCurve(part.out);
    // evaluated: epochs 2 and 4 (every 2), 3 (the shorter run's end) and 6 (the end)
    expect(valid.map((v) => v !== null)).to.deep.equal([false, true, true, true, false, true]);
    const best = Math.max(...valid.filter((v): v is number => v !== null));
    expect(metrics.valid.both.mrr).to.equal(best);
    expect(valid[metrics.bestEpoch - 1]).to.equal(best);
    // the best model file is the model of that epoch: it ranks valid exactly as the report says
    const ds = await loadKgDataset(TINY);
    const saved = await loadSavedModel(part.out, part, ds);
    const filter = new FilterIndex(ds.entities.length, ds.relations.length, [ds.train, ds.valid, ds.test]);
    const again = await evaluator(part, ds)(saved.scorer, saved.entities, saved.relations, ds.valid, filter);
    expect(again.both.mrr).to.equal(best);
  });

  it('a finished run is reused under its own settings, continued for more --epochs, and refused under others', async () => {
    const config = tinyConfig({ model: 'transe', epochs: 3, seed: 2 });
    await runTraining(config, quiet);
    expect(finishedRunPlan(config)).to.equal('reuse');
    expect(finishedRunPlan({ ...config, evalEvery: 1, workers: 2 })).to.equal('reuse');
    expect(finishedRunPlan({ ...config, epochs: 5 })).to.equal('continue');
    expect(() => finishedRunPlan({ ...config, epochs: 2 })).to.throw(/holds a finished run made with other settings \(--epochs was 3, now 2\)/);
    expect(() => finishedRunPlan({ ...config, lr: config.lr * 2, epochs: 5 })).to.throw(/--lr was .*only a larger --epochs continues it/);
    fs.rmSync(path.join(config.out, 'checkpoint.bin'));
    expect(finishedRunPlan(config)).to.equal('reuse');
    expect(() => finishedRunPlan({ ...config, epochs: 5 })).to.throw(/holds a finished 3-epoch run but no checkpoint\.bin, so it cannot continue to --epochs 5/);
  });

  it('trainOrReuse trains a new run, reuses it, continues it for more --epochs and refuses it under other settings', async () => {
    const notes: string[] = [];
    const log = (m: string): void => { notes.push(m); };
    const config = tinyConfig({ model: 'distmult', epochs: 2, seed: 4 });
    const first = await trainOrReuse(config, log);
    expect(first.metrics.epochsRun).to.equal(2);
    const again = await trainOrReuse(config, log);
    expect(again.metrics).to.deep.equal(first.metrics);
    expect(notes.some((m) => m.startsWith('continuing'))).to.equal(false);
    const longer = await trainOrReuse({ ...config, epochs: 4 }, log);
    expect(longer.metrics.epochsRun).to.equal(4);
    expect(notes.some((m) => m.startsWith(`continuing ${config.out} from its checkpoint to 4 epochs`))).to.equal(true);
    let message = '';
    await trainOrReuse({ ...config, epochs: 4, dim: 16 }, log).catch((err: Error) => { message = err.message; });
    expect(message).to.match(/holds a finished run made with other settings \(--dim was 8, now 16\)/);
  });

  it('stops with a clear message when the loss diverges', async () => {
    const config = tinyConfig({ model: 'distmult', training: 'negative-sampling', loss: 'softplus', lr: 1e38, normalizeEntities: false });
    let message = '';
    try {
      await runTraining(config, quiet);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/training diverged: loss (is (NaN|Infinity|-Infinity)|\S+ exploded .*) at epoch \d+, batch \d+/);
  });

  it('stops an exploding run (--lr 1e6: finite but huge losses) with epoch, batch, a hint and what the directory holds', async () => {
    const config = tinyConfig({ model: 'transe', lr: 1e6, epochs: 20, evalEvery: 0 });
    let message = '';
    try {
      await runTraining(config, quiet);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/^training diverged: loss \S+ exploded \(over 1e\+6 times its running minimum \S+\) at epoch \d+, batch \d+ \(lr 1000000, model transe\)\. Lower --lr/);
    expect(message).to.match(/The last good checkpoint \(after epoch \d+\) is .*checkpoint\.bin|No checkpoint was written/);
    expect(fs.existsSync(path.join(config.out, 'metrics.json'))).to.equal(false);
  });
});
