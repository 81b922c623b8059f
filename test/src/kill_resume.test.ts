import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBundleWithMeta } from '../../src/tensor_file';
import { Rng } from '../../src/rng';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
const TINY = path.join(ROOT, 'test', 'fixtures', 'kg', 'tiny');
/** A tiny run with many epochs and batches, so kills land in every phase (startup, steps, validation, checkpoint writes). */
const RUN = ['--dataset', TINY, '--model', 'transe', '--dim', '8', '--epochs', '150', '--eval-every', '10', '--patience', '0', '--batch-size', '2', '--quiet', '--backend', 'wasm'];
const MAX_TRIALS = 30;

/** Numbers of a finished run that must not depend on interruptions (timings excluded). */
function fingerprint(dir: string): Record<string, unknown> {
  const ckpt = readBundleWithMeta(path.join(dir, 'checkpoint.bin'));
  const arrays = Object.fromEntries(Object.entries(ckpt.arrays).map(([k, v]) => [k, Buffer.from(v.buffer).toString('base64')]));
  const state = ckpt.meta.state as { epoch: number; bestEpoch: number; bestValidMrr: number; history: { loss: number; validMrr: number | null }[] };
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
  return {
    arrays, epoch: state.epoch, bestEpoch: state.bestEpoch, bestValidMrr: state.bestValidMrr,
    history: state.history.map((h) => [h.loss, h.validMrr]),
    best: fs.readFileSync(path.join(dir, 'model-best.bin')).toString('base64'),
    valid: metrics.valid.both, test: metrics.test.both, testHead: metrics.test.head, testTail: metrics.test.tail,
  };
}

/** Epochs in the run's checkpoint (0 without one). */
function checkpointEpoch(dir: string): number {
  const file = path.join(dir, 'checkpoint.bin');
  return fs.existsSync(file) ? (readBundleWithMeta(file).meta.state as { epoch: number }).epoch : 0;
}

function runToEnd(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, 'train', ...args], { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).to.equal(0);
}

/**
 * Run `mmkge train ARGS` and kill -9 it at `kill.at` ms after the spawn, or, with `kill.afterFirstEpoch`,
 * that many ms after the child prints its own first epoch (so how far one run gets does not depend on
 * how long this machine takes to start it). Resolves to the exit code (null = killed) and when the
 * first epoch ended.
 */
function trainUntil(args: string[], kill: { at: number } | { afterFirstEpoch: number }): Promise<{ code: number | null; firstEpochMs?: number; stderr: string }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, 'train', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let firstEpochMs: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const killLater = (ms: number) => (timer = setTimeout(() => child.kill('SIGKILL'), ms));
  if ('at' in kill) killLater(kill.at);
  child.stdout.on('data', (d: Buffer) => {
    if (firstEpochMs !== undefined || !/^epoch \d+:/m.test(d.toString())) return;
    firstEpochMs = Date.now() - t0;
    if ('afterFirstEpoch' in kill) killLater(kill.afterFirstEpoch);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, firstEpochMs, stderr });
    });
  });
}

describe('kill -9 at random moments, then --resume', function () {
  this.timeout(240_000);

  it('ends bit-identical to the uninterrupted run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-kill-'));
    const clean = path.join(dir, 'clean');
    const t0 = Date.now();
    const first = await trainUntil([...RUN, '--out', clean], { at: 600_000 });
    expect(first.code, first.stderr).to.equal(0);
    const duration = Date.now() - t0;
    const startup = first.firstEpochMs ?? duration / 2;
    const want = fingerprint(clean);

    // A third of the kills land during startup (before the child's first epoch), the rest up to 15%
    // of the training time after the child's own first epoch: each run advances at most ~23 epochs
    // (so at least 7 runs) whatever the machine's startup time, and kills land in every phase,
    // checkpoint writes included. Killing at a fixed time after the spawn let a slow-starting run
    // advance ~40 epochs, and CI once finished after 4 kills.
    const run = path.join(dir, 'killed');
    const rng = new Rng(2026);
    const stages = { kills: 0, freshStarts: 0, resumes: 0 };
    let finished = false;
    const epochs: number[] = [];
    for (let k = 0; k < MAX_TRIALS && !finished; k++) {
      // A fresh start until a config.json exists, --resume after that (what a user would do).
      const resume = fs.existsSync(path.join(run, 'config.json'));
      const args = resume ? ['--resume', run, '--quiet', '--backend', 'wasm'] : [...RUN, '--out', run, ...(fs.existsSync(run) ? ['--overwrite'] : [])];
      stages[resume ? 'resumes' : 'freshStarts']++;
      const u = rng.next();
      const r = await trainUntil(args, u < 1 / 3 ? { at: 3 * u * startup } : { afterFirstEpoch: ((3 * u - 1) / 2) * 0.15 * (duration - startup) });
      if (r.code === null) {
        stages.kills++;
        epochs.push(checkpointEpoch(run));
      }
      else {
        expect(r.code, r.stderr).to.equal(0);
        finished = true;
      }
    }
    if (!finished) runToEnd(fs.existsSync(path.join(run, 'config.json')) ? ['--resume', run, '--quiet', '--backend', 'wasm'] : [...RUN, '--out', run, '--overwrite']);
    console.log(`      kill -9: ${stages.kills} kills (${stages.freshStarts} fresh starts, ${stages.resumes} resumes) ${finished ? 'before the run finished' : 'then one run to the end'}; epochs checkpointed at the kills: ${epochs.join(' ')}; uninterrupted run ${duration} ms, first epoch after ${startup} ms`);
    expect(stages.kills).to.be.at.least(5);
    expect(fingerprint(run)).to.deep.equal(want);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
