import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../src/backend';
import { loadSavedModel, resolveConfig, runTraining, evaluator } from '../../src/app/run';
import type { RunConfig } from '../../src/app/run_config';
import { readBundle } from '../../src/tensor_file';
import { Rng } from '../../src/rng';
import { FilterIndex } from '../../src/filter';
import { runGrid } from '../../src/app/grid';
import { loadKgDataset } from '../../kg-data/loader';
import { expectReject } from '../expect_reject';
import { spawnSync } from 'node:child_process';

const TINY = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kg', 'tiny');
const quiet = { quiet: true, log: () => {} };
const CLI = path.join(__dirname, '..', '..', 'src', 'app', 'cli.js');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-mm-'));
}

/** Keyed text vectors (`key<TAB>floats`) for the tiny graph's entities; one entity left without. */
async function writeFeatures(dim: number, seed: number, skip?: string): Promise<string> {
  const ds = await loadKgDataset(TINY);
  const rng = new Rng(seed);
  const lines = ds.entities.filter((e) => e !== skip).map((e) => `${e}\t${Array.from({ length: dim }, () => rng.normal().toFixed(4)).join(' ')}`);
  const file = path.join(tmpDir(), 'features.txt');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function config(over: Partial<RunConfig>): RunConfig {
  return resolveConfig({}, { dataset: TINY, dim: 8, epochs: 4, batchSize: 4, evalEvery: 2, patience: 0, backend: 'wasm', out: tmpDir(), ...over });
}

describe('multimodal training (OTKGE, IKRL, ... with and without IMML)', () => {
  let text = '';
  let image = '';
  before(async () => {
    await selectBackend('wasm');
    text = await writeFeatures(6, 1, 'a');
    image = await writeFeatures(5, 2);
  });

  for (const [model, extra] of [
    ['otkge', {}],
    ['otkge', { imml: true, immlPartners: 2 }],
    ['ikrl', { negatives: 3 }],
    ['tbkge', { negatives: 3, imml: true }],
    ['transae', { negatives: 3 }],
    ['mmkrl', { negatives: 3, imml: true, immlBetaFraction: 1 }],
  ] as [string, Partial<RunConfig>][]) {
    it(`trains ${model} ${JSON.stringify(extra)} on structure + image + text and records the modalities`, async () => {
      const c = config({ model, textFeatures: text, imageFeatures: image, ...extra });
      const m = await runTraining(c, quiet);
      const written = JSON.parse(fs.readFileSync(path.join(c.out, 'metrics.json'), 'utf8'));
      expect(written.test.both, 'metrics.json').to.deep.equal(m.test.both);
      expect(m.imml).to.equal(Boolean(extra.imml));
      expect(m.modalities[0]).to.equal('structure');
      expect(m.modalities.slice(1).map((s) => s.split(' ')[0])).to.deep.equal(['image', 'text']);
      const best = readBundle(path.join(c.out, 'model-best.bin'));
      expect(Object.keys(best).some((k) => k.startsWith('params.'))).to.equal(true);
      if (extra.imml) expect(Object.keys(best).some((k) => k.startsWith('params.imml.'))).to.equal(true);
      // The saved model ranks exactly as the trainer's best model did on valid.
      const ds = await loadKgDataset(TINY);
      const saved = await loadSavedModel(c.out, c, ds);
      const filter = new FilterIndex(ds.entities.length, ds.relations.length, [ds.train, ds.valid, ds.test]);
      const again = await evaluator(c, ds)(saved.scorer, saved.entities, saved.relations, ds.test, filter);
      expect(again.both).to.deep.equal(m.test.both);
    });
  }

  for (const model of ['ikrl', 'tbkge', 'transae', 'mmkrl']) {
    it(`${model}: the fused negative-sampling step trains like the autodiff one (same losses and metrics up to rounding drift)`, async () => {
      // one step per epoch: epoch 1's loss is the forward pass before any update
      const over = { model, textFeatures: text, imageFeatures: image, negatives: 3, loss: 'margin' as const, epochs: 3, evalEvery: 0, batchSize: 1000 };
      const cf = config({ ...over, useKernel: true });
      const ca = config({ ...over, useKernel: false });
      const fused = await runTraining(cf, quiet);
      const auto = await runTraining(ca, quiet);
      const losses = (dir: string): number[] => fs.readFileSync(path.join(dir, 'loss.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
      const lf = losses(cf.out);
      const la = losses(ca.out);
      expect(lf.length).to.equal(3);
      // The first loss is the same to float rounding; later ones drift apart a little because Adagrad's
      // first step turns any rounding-level gradient difference into a step of size lr.
      expect(lf[0], 'epoch 1 loss').to.be.closeTo(la[0], 1e-5 * Math.max(1, Math.abs(la[0])));
      lf.forEach((v, i) => expect(v, `epoch ${i + 1} loss`).to.be.closeTo(la[i], 2e-2 * Math.max(1, Math.abs(la[i]))));
      expect(fused.test.both.mrr).to.be.closeTo(auto.test.both.mrr, 0.05);
    });
  }

  it('mmkge eval --rank-energy ranks a finished IKRL run by another energy, as a run of that energy would; a one-energy model refuses it', async () => {
    const c = config({ model: 'ikrl', textFeatures: text, negatives: 3 });
    const m = await runTraining(c, quiet);
    const ds = await loadKgDataset(TINY);
    const filter = new FilterIndex(ds.entities.length, ds.relations.length, [ds.train, ds.valid, ds.test]);
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'eval', '--run', c.out, ...args], { encoding: 'utf8' });
    const bothMrr = (out: string): number => Number(out.split('\n').find((l) => l.startsWith('| both'))!.split('|')[3]);
    const got: number[] = [];
    for (const rankEnergy of ['full', 'structure'] as const) {
      const r = cli('--rank-energy', rankEnergy, '--backend', 'wasm');
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`ranked by the ${rankEnergy} energy`);
      const view = { ...c, rankEnergy };
      const saved = await loadSavedModel(c.out, view, ds);
      const want = (await evaluator(view, ds)(saved.scorer, saved.entities, saved.relations, ds.test, filter)).both.mrr;
      expect(bothMrr(r.stdout), rankEnergy).to.be.closeTo(want, 5e-5);
      if (rankEnergy === 'full') expect(want).to.equal(m.test.both.mrr);
      got.push(want);
    }
    // the two energies rank this model differently, so the flag was not ignored
    expect(got[1]).to.not.equal(got[0]);
    expect(cli('--rank-energy', 'both').stderr).to.contain("--rank-energy: expected one of full, structure, auxiliary, union, got 'both'");
    const t = config({ model: 'transe' });
    await runTraining(t, quiet);
    const r = spawnSync(process.execPath, [CLI, 'eval', '--run', t.out, '--rank-energy', 'structure'], { encoding: 'utf8' });
    expect(r.stderr).to.contain("--rank-energy: the run's model 'transe'");
    expect(r.stderr).to.contain('only ikrl, tbkge, mmkrl have terms to rank with');
  });

  it('runs with a single auxiliary modality and refuses a multimodal model without any', async () => {
    const m = await runTraining(config({ model: 'otkge', textFeatures: text }), quiet);
    expect(m.modalities.map((s) => s.split(' ')[0])).to.deep.equal(['structure', 'text']);
    let message = '';
    try {
      await runTraining(config({ model: 'otkge' }), quiet);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/needs at least one auxiliary modality/);
  });

  it('refuses IMML on a structural scorer', async () => {
    let message = '';
    try {
      await runTraining(config({ model: 'complex', imml: true }), quiet);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/IMML needs a multimodal model/);
  });

  it('is deterministic: same seed, same numbers; IMML changes them', async () => {
    const a = await runTraining(config({ model: 'otkge', textFeatures: text, imml: true, seed: 5 }), quiet);
    const b = await runTraining(config({ model: 'otkge', textFeatures: text, imml: true, seed: 5 }), quiet);
    const c = await runTraining(config({ model: 'otkge', textFeatures: text, imml: false, seed: 5 }), quiet);
    expect(JSON.stringify(a.test.both)).to.equal(JSON.stringify(b.test.both));
    expect(JSON.stringify(a.valid.both)).to.equal(JSON.stringify(b.valid.both));
    expect(JSON.stringify(c.valid) === JSON.stringify(a.valid) && JSON.stringify(c.test) === JSON.stringify(a.test)).to.equal(false);
  });

  for (const [model, extra] of [['otkge', { imml: true }], ['ikrl', { negatives: 3, imml: true }], ['ikrl', { negatives: 3 }], ['transae', { negatives: 3 }]] as [string, Partial<RunConfig>][]) {
    it(`resume of a stopped ${model}${extra.imml ? '+IMML' : ' (fused step)'} run reproduces the uninterrupted run bit for bit (tables, dense parameters, buffers)`, async () => {
      const full = config({ model, textFeatures: text, epochs: 4, seed: 3, ...extra });
      await runTraining(full, quiet);
      const part = config({ model, textFeatures: text, epochs: 2, seed: 3, ...extra });
      await runTraining(part, quiet);
      await runTraining({ ...part, epochs: 4 }, { ...quiet, resume: true });
      const x = readBundle(path.join(full.out, 'checkpoint.bin'));
      const y = readBundle(path.join(part.out, 'checkpoint.bin'));
      expect(Object.keys(y).sort()).to.deep.equal(Object.keys(x).sort());
      for (const k of Object.keys(x)) {
        expect(Buffer.from((x[k] as Float32Array).buffer).equals(Buffer.from((y[k] as Float32Array).buffer)), k).to.equal(true);
      }
    });
  }

  it('--init-from starts IKRL from a trained TransE (tables copied; wrong shape, dataset or path is one clear error)', async () => {
    const transe = config({ model: 'transe', epochs: 2 });
    await runTraining(transe, quiet);
    const source = readBundle(path.join(transe.out, 'model-best.bin'));
    // A vanishing table rate keeps the copied tables where they were, so the saved model shows them.
    const ikrl = config({ model: 'ikrl', textFeatures: text, negatives: 3, epochs: 1, evalEvery: 0, lr: 1e-30, denseLr: 0.01, initFrom: transe.out });
    const logged: string[] = [];
    await runTraining(ikrl, { quiet: true, log: (m) => logged.push(m) });
    expect(logged.some((m) => m.includes(`initialised from ${path.join(transe.out, 'model-best.bin')}`)), logged.join('\n')).to.equal(true);
    const started = readBundle(path.join(ikrl.out, 'model-best.bin'));
    for (const name of ['entities', 'relations']) {
      const a = source[name] as Float32Array;
      const b = started[name] as Float32Array;
      expect(b.length, name).to.equal(a.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, name).to.be.below(1e-6);
    }
    // A fresh IKRL run starts elsewhere.
    const fresh = config({ model: 'ikrl', textFeatures: text, negatives: 3, epochs: 1, evalEvery: 0, lr: 1e-30, denseLr: 0.01 });
    await runTraining(fresh, quiet);
    expect(Array.from(readBundle(path.join(fresh.out, 'model-best.bin')).entities)).not.to.deep.equal(Array.from(source.entities));

    await expectReject(runTraining(config({ model: 'ikrl', textFeatures: text, dim: 6, initFrom: transe.out }), quiet),
      /--init-from .*model-best\.bin: its entities table holds \d+ values, this model needs \d+ rows of 6/);
    await expectReject(runTraining(config({ model: 'ikrl', textFeatures: text, initFrom: path.join(tmpDir(), 'nothing') }), quiet), /--init-from .*nothing: no such file/);
    await expectReject(runTraining(config({ model: 'ikrl', textFeatures: text, initFrom: tmpDir() }), quiet), /--init-from .*: no model-best\.bin in that directory/);
    const moved = tmpDir();
    fs.copyFileSync(path.join(transe.out, 'model-best.bin'), path.join(moved, 'model-best.bin'));
    fs.writeFileSync(path.join(moved, 'config.json'), JSON.stringify({ dataset: 'fb-img' }));
    await expectReject(runTraining(config({ model: 'ikrl', textFeatures: text, initFrom: moved }), quiet), /--init-from .*: that run trained on dataset 'fb-img'/);
  });

  it('mmkge grid: one run per (gamma1, gamma2), grid.csv and SVG heat-maps', async () => {
    const base = config({ model: 'otkge', textFeatures: text, epochs: 1, imml: true });
    const cells = await runGrid(base, [1e-1, 1e-3], [1, 10], (c) => runTraining(c, quiet), () => {});
    expect(cells).to.have.length(4);
    const csv = fs.readFileSync(path.join(base.out, 'grid.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal('gamma1,gamma2,valid_mrr,test_mrr,run');
    expect(csv).to.have.length(5);
    for (const split of ['valid', 'test']) {
      const svg = fs.readFileSync(path.join(base.out, `grid-${split}.svg`), 'utf8');
      expect(svg).to.match(/^<svg/);
      expect(svg).to.contain('gamma1');
    }
    // A second call reuses the finished runs.
    let trained = 0;
    await runGrid(base, [1e-1, 1e-3], [1, 10], async (c) => { trained++; return runTraining(c, quiet); }, () => {});
    expect(trained).to.equal(0);
  });
});
