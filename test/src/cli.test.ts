import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
const TINY = path.join(ROOT, 'test', 'fixtures', 'kg', 'tiny');

function mmkge(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mmkge CLI', () => {
  for (const cmd of ['train', 'eval', 'info', 'export', 'list']) {
    it(`${cmd} --help describes its options`, () => {
      const r = mmkge(cmd, '--help');
      expect(r.code).to.equal(0);
      expect(r.out).to.contain(`Usage: mmkge ${cmd}`);
    });
  }

  it('train --help lists every config key as a flag', () => {
    const r = mmkge('train', '--help');
    for (const flag of ['--dataset', '--model', '--dim', '--epochs', '--batch-size', '--lr', '--seed', '--out', '--config', '--resume', '--backend', '--adversarial-temperature']) {
      expect(r.out).to.contain(flag);
    }
  });

  it('train needs --dataset and --model; --print-config shows the preset values without training; --help says which keys presets set', () => {
    const none = mmkge('train');
    expect(none.code).to.equal(1);
    expect(none.err).to.contain('mmkge: error: train needs --dataset and --model');
    const p = mmkge('train', '--dataset', TINY, '--model', 'transe', '--dim', '4', '--print-config');
    expect(p.code, p.err).to.equal(0);
    const printed = JSON.parse(p.out);
    expect([printed.loss, printed.lr, printed.dim, printed.out]).to.deep.equal(['nssa', 0.05, 4, 'runs/latest']);
    const help = mmkge('train', '--help').out;
    expect(help).to.match(/--lr <value>\s+learning rate \[number > 0; preset per\s+model\s+\(built-in 0\.01\)\]/);
    expect(help).to.contain('--print-config');
  });

  it('a bad --out fails before any data is read; a second run into a used --out is refused', () => {
    const r = mmkge('train', '--dataset', '/no/such/dataset', '--model', 'transe', '--out', '/proc/mmkge-x/y');
    expect(r.err).to.contain('mmkge: error: --out /proc/mmkge-x/y: cannot create /proc/mmkge-x');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-cli-'));
    const args = ['train', '--dataset', TINY, '--model', 'distmult', '--dim', '4', '--epochs', '1', '--out', dir, '--quiet', '--backend', 'wasm'];
    expect(mmkge(...args).code).to.equal(0);
    const again = mmkge(...args);
    expect(again.code).to.equal(1);
    expect(again.err).to.contain('already holds');
    expect(mmkge(...args, '--overwrite').code).to.equal(0);
  });

  it('train, eval and export work end to end with a config file and flag overrides', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-cli-'));
    const cfg = path.join(dir, 'config.json');
    fs.writeFileSync(cfg, JSON.stringify({ dataset: TINY, model: 'distmult', dim: 4, epochs: 2, lr: 0.5 }));
    const run = path.join(dir, 'run');
    const t = mmkge('train', '--config', cfg, '--lr', '0.2', '--out', run, '--quiet', '--backend', 'wasm');
    expect(t.code, t.err).to.equal(0);
    expect(t.out).to.contain('tfjs backend: wasm');
    const saved = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
    expect(saved.lr).to.equal(0.2); // flag beats file
    expect(saved.epochs).to.equal(2); // file beats preset
    expect(saved.training).to.equal('1vsall'); // preset beats default
    const e = mmkge('eval', '--run', run, '--split', 'test', '--backend', 'wasm');
    expect(e.code, e.err).to.equal(0);
    expect(e.out).to.match(/test of .* \(filtered, realistic ranks\)/);
    const u = mmkge('eval', '--run', run, '--unfiltered', '--backend', 'wasm');
    expect(u.out).to.contain('UNFILTERED');
    const x = mmkge('export', '--run', run, '--out', path.join(dir, 'emb'));
    expect(x.code, x.err).to.equal(0);
    const npy = fs.readFileSync(path.join(dir, 'emb', 'entity_embeddings.npy'));
    expect(npy.toString('latin1', 1, 6)).to.equal('NUMPY');
    expect(npy.toString('latin1', 10, 80)).to.contain("'shape': (4, 4)");
    expect(fs.readFileSync(path.join(dir, 'emb', 'entities.tsv'), 'utf8').split('\n')[0]).to.equal('0\ta\ta');
  });

  it('rejects unknown config keys, bad values, unknown models and datasets with clear messages', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-cli-'));
    const cfg = path.join(dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ learningRate: 0.1 }));
    expect(mmkge('train', '--config', cfg).err).to.contain(`${cfg}: unknown config key 'learningRate'`);
    expect(mmkge('train', '--lr', 'fast').err).to.contain("--lr: expected a number, got 'fast'");
    expect(mmkge('train', '--model', 'transx', '--dataset', TINY, '--out', dir).err).to.match(/unknown model 'transx'; did you mean 'transe'\? Known models: transe, distmult, complex, rotate \(structural\); otkge, ikrl, tbkge, transae, mmkrl/);
    const r = mmkge('info', 'no-such-dataset');
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('no-such-dataset');
  });
});
