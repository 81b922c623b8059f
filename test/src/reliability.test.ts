import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../src/backend';
import { resumeConflicts, TRAIN_OPTIONS } from '../../src/config';
import { checkPartial, configKeys, parseValue, DEFAULT_CONFIG, runOptions, type RunConfig } from '../../src/app/run_config';
import { closest, describeOption } from '../../src/options';
import { resolveConfig, runTraining } from '../../src/app/run';
import { claimRunDirectory, ensureWritableDirectory, LOCK_FILE } from '../../src/run_dir';
import { readBundle } from '../../src/tensor_file';
import { DivergenceGuard, firstNonFinite } from '../../src/train/divergence';
import { BACKENDS } from '../../src/backend';
import { COLUMN_ORDERS, readTriples, readIdMap } from '../../kg-data/triples_reader';
import { loadKgDataset } from '../../kg-data/loader';
import { LOSSES } from '../../src/losses';

const ROOT = path.join(__dirname, '..', '..', '..');
const TINY = path.join(ROOT, 'test', 'fixtures', 'kg', 'tiny');
const quiet = { quiet: true, log: () => {} };
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-rel-'));
const tiny = (over: Partial<RunConfig> = {}): RunConfig =>
  resolveConfig({}, { dataset: TINY, model: 'transe', dim: 8, epochs: 4, batchSize: 4, evalEvery: 2, patience: 0, backend: 'wasm', out: path.join(tmp(), 'run'), ...over });

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('reliability', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  describe('option schema', () => {
    it('rejects each bad flag of the issue with the flag name and the accepted range', () => {
      const cases: [keyof RunConfig, string, RegExp][] = [
        ['epochs', '2.5', /^--epochs: expected an integer, got 2\.5$/],
        ['batchSize', '0.5', /^--batch-size: expected an integer, got 0\.5$/],
        ['patience', '-1', /^--patience: expected an integer >= 0/],
        ['evalEvery', '-1', /^--eval-every: expected an integer >= 0/],
        ['workers', '-3', /^--workers: expected an integer >= 0/],
        ['dim', '0x10', /^--dim: expected an integer, got '0x10'$/],
        ['dim', '1e9', /^--dim: expected an integer >= 1 and <= 16384, got 1000000000$/],
        ['lr', 'Infinity', /^--lr: expected a number, got 'Infinity'$/],
        ['lr', '0', /^--lr: expected a number > 0, got 0$/],
        ['columns', 'hrx', /^--columns: expected one of '', hrt, htr, rht, rth, thr, trh, got 'hrx'$/],
        ['norm', '3', /^--norm: expected one of 1, 2, got 3$/],
        ['training', '1vsAll', /^--training: expected one of negative-sampling, 1vsall, kvsall/],
      ];
      for (const [key, raw, re] of cases) expect(() => parseValue(key, raw), `${key} ${raw}`).to.throw(re);
      expect(() => resolveConfig({}, { model: 'transe', batchSize: 1_000_000, negatives: 4096 })).to.throw(/--batch-size 1000000 x --negatives 4096 = 4096000000 negatives per batch/);
      expect(parseValue('dim', '16')).to.equal(16);
      expect(parseValue('lr', '1e-3')).to.equal(0.001);
      expect(parseValue('norm', '2')).to.equal(2);
    });

    it('has one spec per config key, with defaults inside their own ranges and enums that match the code', () => {
      // config.json of a run written before the options moved into their components: every key
      // must still be a config key (old runs resume, --print-config keeps its keys).
      const runKeys = ['dataset', 'columns', 'model', 'dim', 'norm', 'margin', 'normalizeEntities', 'initStd', 'training', 'loss',
        'adversarialTemperature', 'labelSmoothing', 'negatives', 'sampler', 'reciprocal', 'optimizer', 'lr', 'regularizer', 'regWeight',
        'epochs', 'batchSize', 'seed', 'evalEvery', 'patience', 'evalBatchSize', 'workers', 'backend', 'engine', 'useKernel', 'out',
        'imageFeatures', 'textFeatures', 'imageWeight', 'textWeight', 'otScale', 'otEpsilon', 'otIterations', 'auxWeight', 'denseLr',
        'imml', 'immlGamma1', 'immlGamma2', 'immlAlpha', 'immlBeta', 'immlPartners', 'immlTemperature', 'immlProjectionDim', 'immlMdke',
        'immlBetaLoss', 'immlBetaFraction', 'immlMdkeRows'];
      // keys added since then (a config.json without them takes their defaults)
      const added = ['featureNorm', 'initFrom', 'perTermLoss', 'rankEnergy'];
      expect([...configKeys()].sort()).to.deep.equal([...runKeys, ...added].sort());
      for (const key of configKeys()) expect(() => parseValue(key, String(DEFAULT_CONFIG[key])), key).not.to.throw();
      // The core's schema holds no plug-in or model keys: those live with IMML and the models.
      expect(Object.keys(TRAIN_OPTIONS).filter((k) => /^(imml|ot[A-Z]|imageWeight|textWeight|norm$|normalizeEntities)/.test(k))).to.deep.equal([]);
      const enumOf = (k: keyof RunConfig) => (runOptions()[k] as { values: readonly unknown[] }).values;
      expect(enumOf('backend')).to.have.members(['auto', ...BACKENDS]);
      expect(enumOf('columns')).to.have.members(['', ...COLUMN_ORDERS]);
      expect(enumOf('loss')).to.have.members([...Object.keys(LOSSES), 'ce']);
      expect(describeOption(runOptions().dim)).to.equal('integer >= 1 and <= 16384');
    });

    it('config keys are own properties only (__proto__, constructor, toString are unknown)', () => {
      for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        const obj = JSON.parse(`{"${key}": 1}`) as Record<string, unknown>;
        expect(() => checkPartial(obj, 'c.json'), key).to.throw(`c.json: unknown config key '${key}'`);
      }
      expect(() => checkPartial({ batchsize: 3 }, 'c.json')).to.throw("did you mean 'batchSize'?");
      expect(() => checkPartial({ epochs: 2.5 }, 'c.json')).to.throw("c.json: 'epochs': expected an integer, got 2.5");
    });

    it('unknown model names list every model and suggest the closest, before any data is read', () => {
      expect(() => resolveConfig({}, { model: 'transee', dataset: '/no/such/dir' })).to.throw(/unknown model 'transee'; did you mean 'transe'\? Known models: transe, distmult, complex, rotate \(structural\); otkge, ikrl, tbkge, transae, mmkrl \(multimodal\)/);
      expect(() => resolveConfig({}, { model: 'constructor' })).to.throw(/unknown model 'constructor'/);
      expect(closest('otkg', ['transe', 'otkge'])).to.equal('otkge');
      expect(closest('zzzzzz', ['transe', 'otkge'])).to.equal(undefined);
    });
  });

  describe('run directory', () => {
    it('locks: a second claim fails naming the owner; release frees it; a dead owner is taken over', () => {
      const dir = tmp();
      const a = claimRunDirectory(dir);
      expect(() => claimRunDirectory(dir)).to.throw(/is in use by another training \(this process/);
      a.release();
      claimRunDirectory(dir).release();
      // A lock left by a kill -9: its pid is no longer running.
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout.trim()), host: os.hostname(), started: 'then' }));
      const notes: string[] = [];
      const b = claimRunDirectory(dir, { log: (m) => notes.push(m) });
      expect(notes.join()).to.match(/removing the stale lock of pid \d+, which is no longer running/);
      b.release();
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    });

    it('refuses a non-empty directory unless --overwrite, which clears run directories only', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, 'metrics.json'), '{}');
      fs.writeFileSync(path.join(dir, 'model-best.bin'), 'x');
      expect(() => claimRunDirectory(dir)).to.throw(/already holds metrics\.json, model-best\.bin: pass --overwrite/);
      claimRunDirectory(dir, { overwrite: true }).release();
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      const home = tmp();
      fs.writeFileSync(path.join(home, 'thesis.tex'), 'x');
      expect(() => claimRunDirectory(home, { overwrite: true })).to.throw(/holds thesis\.tex but no mmkge run/);
      expect(fs.existsSync(path.join(home, 'thesis.tex'))).to.equal(true);
    });

    it('checks --out before loading data: /proc and files in the way fail at once', () => {
      const t0 = Date.now();
      expect(() => ensureWritableDirectory('/proc/mmkge/run')).to.throw(/--out \/proc\/mmkge\/run: cannot create \/proc\/mmkge/);
      const file = path.join(tmp(), 'f');
      fs.writeFileSync(file, '');
      expect(() => ensureWritableDirectory(path.join(file, 'run'))).to.throw(/exists and is not a directory/);
      expect(Date.now() - t0).to.be.below(2000);
    });

    it('Ctrl-C (SIGINT) ends a training with exit 130 and removes its lock; --resume then continues', async () => {
      const out = path.join(tmp(), 'run');
      const cli = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
      const args = ['train', '--dataset', TINY, '--model', 'transe', '--dim', '4', '--epochs', '100000', '--eval-every', '0', '--out', out, '--quiet', '--backend', 'wasm'];
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const code = await new Promise<number | null>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          if (/^epoch 3:/m.test(d.toString())) child.kill('SIGINT');
        });
        child.on('exit', (c) => resolve(c));
      });
      expect(code).to.equal(130);
      expect(fs.existsSync(path.join(out, LOCK_FILE))).to.equal(false);
      const r = spawnSync(process.execPath, [cli, 'train', '--resume', out, '--epochs', '5', '--quiet', '--backend', 'wasm'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/resumed from .*checkpoint\.bin after epoch \d+/);
    });

    it('two trainings into one --out: the second is refused while the first runs', async () => {
      const config = tiny();
      const first = runTraining(config, quiet);
      const message = await rejection(runTraining({ ...config }, { ...quiet, overwrite: true }));
      expect(message).to.match(/is in use by another training/);
      await first;
    });
  });

  describe('resume', () => {
    it('refuses changed run-defining settings by name, allows the safe ones and keeps config.json in sync', async () => {
      const config = tiny({ epochs: 2 });
      await runTraining(config, quiet);
      for (const change of [{ model: 'distmult' }, { lr: 0.3 }, { seed: 9 }, { negatives: 3 }, { batchSize: 2 }] as Partial<RunConfig>[]) {
        const key = Object.keys(change)[0];
        const message = await rejection(runTraining(resolveConfig(config, change), { ...quiet, resume: true }));
        expect(message, key).to.match(new RegExp(`cannot change when it continues: --${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} was`));
      }
      await runTraining({ ...config, epochs: 4, patience: 3, evalEvery: 1, workers: 1 }, { ...quiet, resume: true });
      const saved = JSON.parse(fs.readFileSync(path.join(config.out, 'config.json'), 'utf8'));
      expect([saved.epochs, saved.patience, saved.evalEvery, saved.workers]).to.deep.equal([4, 3, 1, 1]);
      expect(resumeConflicts(saved, { ...saved, lr: 1 }, runOptions())).to.deep.equal(['--lr was 0.05, now 1']);
      expect(resumeConflicts(saved, { ...saved, immlGamma1: 1 }, runOptions())).to.deep.equal([`--imml-gamma1 was ${saved.immlGamma1}, now 1`]);
    });

    it('refuses a damaged checkpoint with one error naming the file', async () => {
      const config = tiny({ epochs: 2 });
      await runTraining(config, quiet);
      const file = path.join(config.out, 'checkpoint.bin');
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)] ^= 4;
      fs.writeFileSync(file, bytes);
      const message = await rejection(runTraining({ ...config, epochs: 3 }, { ...quiet, resume: true }));
      expect(message).to.equal(`${file}: damaged mmkge bundle (checksum mismatch: truncated, torn or altered); it cannot be used`);
    });

    it('a run stopped before its first checkpoint restarts from epoch 0 and gives the same numbers', async () => {
      const clean = tiny({ seed: 4 });
      await runTraining(clean, quiet);
      const stopped = tiny({ seed: 4 });
      fs.mkdirSync(stopped.out, { recursive: true });
      fs.writeFileSync(path.join(stopped.out, 'config.json'), JSON.stringify(stopped));
      const notes: string[] = [];
      await runTraining(stopped, { quiet: true, resume: true, log: (m) => notes.push(m) });
      expect(notes.join('\n')).to.match(/holds config\.json but no checkpoint\.bin \(no epoch finished before it stopped\); training it from epoch 0/);
      const x = readBundle(path.join(clean.out, 'model-best.bin'));
      const y = readBundle(path.join(stopped.out, 'model-best.bin'));
      expect(Buffer.from((y.entities as Float32Array).buffer).equals(Buffer.from((x.entities as Float32Array).buffer))).to.equal(true);
    });

    it('a NaN stop in the first epoch says that no checkpoint exists', async () => {
      const config = tiny({ model: 'distmult', training: 'negative-sampling', loss: 'softplus', lr: 1e38, normalizeEntities: false, batchSize: 1 });
      const message = await rejection(runTraining(config, quiet));
      expect(message).to.match(/^training diverged: .* at epoch 1, batch \d+ .*No checkpoint was written \(no epoch finished\)/);
    });
  });

  describe('divergence guard', () => {
    it('flags NaN/Inf and explosions over the running minimum, not losses that reach 0', () => {
      expect(new DivergenceGuard().check(NaN)).to.equal('loss is NaN');
      const g = new DivergenceGuard();
      for (const l of [2, 1, 0.5, 0, 0, 3, 0.1]) expect(g.check(l), String(l)).to.equal(undefined);
      expect(g.check(1e5)).to.match(/^loss 1\.000e\+5 exploded \(over 1e\+6 times its running minimum 2\.000e-3\)/);
      const h = new DivergenceGuard();
      for (const l of [1, 0.8, 0.9]) h.check(l);
      expect(h.check(1e7)).to.match(/exploded/);
      expect(firstNonFinite({ a: Float32Array.from([1, 2]), b: Float32Array.from([0, Infinity]) })).to.deep.equal({ name: 'b', index: 1, value: Infinity });
      expect(firstNonFinite({ a: Float32Array.from([1]) })).to.equal(undefined);
    });
  });

  describe('input files', () => {
    it('skips a header line with a note, and refuses one that contradicts the column order', async () => {
      const dir = tmp();
      const file = path.join(dir, 'train.txt');
      fs.writeFileSync(file, 'head\trelation\ttail\na\tr\tb\n');
      const notes: string[] = [];
      expect((await readTriples(file, { onNote: (m) => notes.push(m) })).map((t) => t.head)).to.deep.equal(['a']);
      expect(notes).to.deep.equal([`${file}:1: skipped the header line ["head","relation","tail"]`]);
      expect(await rejection(readTriples(file, { columns: 'htr', onNote: () => undefined }))).to.contain(`${file}:1: header line ["head","relation","tail"] names the columns hrt, but the file is read as htr`);
      fs.writeFileSync(file, 'entity\tid\nx\t0\n');
      expect([...(await readIdMap(file, () => undefined)).keys]).to.deep.equal(['x']);
    });

    it('never merges names that differ only in invalid UTF-8 bytes', async () => {
      const file = path.join(tmp(), 'train.txt');
      fs.writeFileSync(file, Buffer.concat([Buffer.from('a\tr\tcaf'), Buffer.from([0xe9]), Buffer.from('\na\tr\tcaf'), Buffer.from([0xe8]), Buffer.from('\n')]));
      expect(await rejection(readTriples(file))).to.equal(`${file}:1: invalid UTF-8 at byte 8 of the line; save the file as UTF-8`);
    });

    it('reads a 10 MB line without a newline in linear time and refuses it naming file and line', async () => {
      const file = path.join(tmp(), 'train.txt');
      fs.writeFileSync(file, Buffer.concat([Buffer.from('a\tr\tb\n'), Buffer.alloc(10_000_000, 0x78)]));
      const t0 = Date.now();
      expect(await rejection(readTriples(file))).to.equal(`${file}:2: line longer than 1048576 bytes; is this a text file with one record per line?`);
      expect(Date.now() - t0).to.be.below(3000);
    });

    it('keeps dataset.json paths inside the dataset folder', async () => {
      const dir = tmp();
      for (const s of ['train', 'valid', 'test']) fs.copyFileSync(path.join(TINY, `${s}.tsv`), path.join(dir, `${s}.tsv`));
      fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ entityNames: '../../../etc/passwd' }));
      expect(await rejection(loadKgDataset(dir))).to.contain(`entity names file '../../../etc/passwd' is outside the dataset folder`);
      fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ train: '/etc/passwd' }));
      expect(await rejection(loadKgDataset(dir))).to.contain('is outside the dataset folder');
    });
  });
});
