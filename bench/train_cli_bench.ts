/**
 * Training throughput where a user sees it: `mmkge train` subprocesses, metrics.json
 * `triplesPerSecond`, side by side in one run (never a timed test).
 * - TransE-L1 on FB-IMG (dim 200, batch 1024, 1 uniform negative, margin loss, sparse Adagrad) with
 *   --workers 1 and 2 against bench/reference/transe_torch.py (PyTorch CPU, sparse embeddings) on 1
 *   and 2 threads.
 * - RotatE on WN9-IMG with its preset (NSSA, 64 negatives, batch 512) with --workers 1 and 2 against
 *   bench/reference/rotate_torch.py (the same algorithm in PyTorch CPU: sparse, and dense tables on
 *   1 and 2 threads).
 * - IKRL, TBKGE, TransAE, MMKRL on WN9-IMG with their presets against TransE with the same
 *   negatives (16) and batch (512), TransE on one thread (--workers 1).
 * The final evaluation of `mmkge train` is not what is timed; to keep it short each run trains on
 * the full train split of a temporary copy of the dataset whose valid/test splits hold 20 triples.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { loadKgDataset } from '../kg-data/loader';
import { featureFilePath } from '../kg-data/registry';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');

/** A copy of a registry dataset with its train split and id files, and 20-triple valid/test splits. */
async function trainOnlyCopy(name: string): Promise<{ dir: string; train: string; columns: string; textFeatures?: string }> {
  const ds = await loadKgDataset(name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mmkge-bench-${name}-`));
  const copy = (file: string | undefined): void => {
    if (file) fs.copyFileSync(file, path.join(dir, path.basename(file)));
  };
  [ds.files.train, ds.files.entityIds, ds.files.relationIds].forEach(copy);
  for (const split of ['valid', 'test'] as const) {
    const file = ds.files[split];
    const raw = file.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file);
    const head = raw.toString('utf8').split(/\r?\n/).slice(0, 20).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, `${split}.txt`), head);
  }
  const layout = { columns: ds.columns };
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify(layout));
  const text = ds.descriptor?.defaultFeatures?.text;
  return { dir, train: path.join(dir, path.basename(ds.files.train)), columns: ds.columns, textFeatures: text && ds.descriptor?.textFeatures[text] ? featureFilePath(ds.descriptor, ds.descriptor.textFeatures[text]) : undefined };
}

/** metrics.json triplesPerSecond of one `mmkge train` run. */
function mmkgeTrain(args: string[]): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-bench-run-'));
  const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--eval-every', '0', '--out', out, '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mmkge train ${args.join(' ')} failed:\n${r.stderr}`);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { triplesPerSecond: number };
  fs.rmSync(out, { recursive: true, force: true });
  return metrics.triplesPerSecond;
}

/** Triples/s of a PyTorch reference script (bench/reference/NAME), or undefined when /usr/bin/python3 has no torch. */
function torchReference(script: string, train: string, threads: number, epochs: number, extra: string[]): number | undefined {
  const python = process.env.MMKGE_TORCH_PYTHON ?? '/usr/bin/python3';
  const file = path.join(ROOT, 'bench', 'reference', script);
  const r = spawnSync(python, [file, train, '--threads', String(threads), '--epochs', String(epochs), ...extra], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { triplesPerSecond: number }).triplesPerSecond;
}

function torchTrain(train: string, threads: number, epochs: number): number | undefined {
  return torchReference('transe_torch.py', train, threads, epochs, ['--lr', '0.05', '--margin', '1']);
}

const fmt = (x: number | undefined): string => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en'));

/** TransE-L1 on FB-IMG through `mmkge train` with 1 and 2 workers, side by side with PyTorch on 1 and 2 threads. */
export async function transeVsTorch(quick: boolean): Promise<Record<string, number | null | undefined>> {
  const epochs = quick ? 2 : 3;
  const fb = await trainOnlyCopy('fb-img');
  try {
    console.log(`## TransE-L1 through \`mmkge train\` vs PyTorch CPU, FB-IMG (dim 200, batch 1024, 1 uniform negative, margin 1, sparse Adagrad lr 0.05, ${epochs} epochs)\n`);
    const transeArgs = ['--dataset', fb.dir, '--model', 'transe', '--norm', '1', '--dim', '200', '--batch-size', '1024', '--negatives', '1',
      '--sampler', 'uniform', '--loss', 'margin', '--margin', '1', '--optimizer', 'adagrad', '--lr', '0.05', '--epochs', String(epochs)];
    const transe1 = mmkgeTrain([...transeArgs, '--workers', '1']);
    const transe2 = mmkgeTrain([...transeArgs, '--workers', '2']);
    const torch1 = torchTrain(fb.train, 1, epochs);
    const torch2 = torchTrain(fb.train, 2, epochs);
    const torchBest = torch1 === undefined && torch2 === undefined ? undefined : Math.max(torch1 ?? 0, torch2 ?? 0);
    const ratio = (x: number): string => (torchBest ? (x / torchBest).toFixed(2) + 'x' : 'n/a');
    console.log('| run | positive triples/s | / best PyTorch |\n|---|---:|---:|');
    console.log(`| mmkge train --workers 1 (metrics.json) | ${fmt(transe1)} | ${ratio(transe1)} |`);
    console.log(`| mmkge train --workers 2 (metrics.json) | ${fmt(transe2)} | ${ratio(transe2)} |`);
    console.log(`| PyTorch, 1 thread | ${fmt(torch1)} | |`);
    console.log(`| PyTorch, 2 threads | ${fmt(torch2)} | |\n`);
    return { mmkge1: transe1, mmkge2: transe2, torch1, torch2, ratio1: torchBest ? transe1 / torchBest : null, ratio2: torchBest ? transe2 / torchBest : null };
  } finally {
    fs.rmSync(fb.dir, { recursive: true, force: true });
  }
}

/** RotatE on WN9-IMG (its preset) through `mmkge train` with 1 and 2 workers, side by side with the PyTorch reference. */
export async function rotateWorkers(quick: boolean): Promise<Record<string, number | null | undefined>> {
  const epochs = quick ? 1 : 2;
  const wn = await trainOnlyCopy('wn9-img');
  try {
    console.log(`## RotatE through \`mmkge train\` vs PyTorch CPU, WN9-IMG (preset: dim 200, 64 uniform negatives, batch 512, NSSA α 0.5, margin 6, Adagrad 0.05; ${epochs} epochs)\n`);
    const args = ['--dataset', wn.dir, '--model', 'rotate', '--epochs', String(epochs)];
    const one = mmkgeTrain([...args, '--workers', '1']);
    const two = mmkgeTrain([...args, '--workers', '2']);
    const preset = ['--dim', '200', '--batch', '512', '--negatives', '64', '--lr', '0.05', '--margin', '6', '--alpha', '0.5', '--columns', wn.columns];
    const torchSparse = torchReference('rotate_torch.py', wn.train, 1, epochs, preset);
    const torchDense1 = torchReference('rotate_torch.py', wn.train, 1, epochs, [...preset, '--dense']);
    const torchDense2 = torchReference('rotate_torch.py', wn.train, 2, epochs, [...preset, '--dense']);
    const known = [torchSparse, torchDense1, torchDense2].filter((x): x is number => x !== undefined);
    const torchBest = known.length > 0 ? Math.max(...known) : undefined;
    const ratio = (x: number): string => (torchBest ? (x / torchBest).toFixed(2) + 'x' : 'n/a');
    console.log('| run | positive triples/s | / best PyTorch |\n|---|---:|---:|');
    console.log(`| mmkge train --workers 1 | ${fmt(one)} | ${ratio(one)} |`);
    console.log(`| mmkge train --workers 2 | ${fmt(two)} | ${ratio(two)} |`);
    console.log(`| PyTorch, sparse tables, 1 thread | ${fmt(torchSparse)} | |`);
    console.log(`| PyTorch, dense tables, 1 thread | ${fmt(torchDense1)} | |`);
    console.log(`| PyTorch, dense tables, 2 threads | ${fmt(torchDense2)} | |\n`);
    return { workers1: one, workers2: two, speedup: two / one, torchSparse, torchDense1, torchDense2, ratio1: torchBest ? one / torchBest : null, ratio2: torchBest ? two / torchBest : null };
  } finally {
    fs.rmSync(wn.dir, { recursive: true, force: true });
  }
}

/** IKRL, TBKGE, TransAE, MMKRL on WN9-IMG against one-thread TransE with the same negatives and batch. */
export async function multimodalVsTranse(quick: boolean): Promise<Record<string, number>> {
  const wn = await trainOnlyCopy('wn9-img');
  try {
    const mmEpochs = quick ? 1 : 2;
    console.log(`## Multimodal negative-sampling training through \`mmkge train\`, WN9-IMG (presets: 16 negatives, batch 512, NSSA; text features; ${mmEpochs} epochs)\n`);
    const common = ['--dataset', wn.dir, '--epochs', String(mmEpochs), ...(wn.textFeatures ? ['--text-features', wn.textFeatures] : [])];
    const base = mmkgeTrain([...common, '--model', 'transe', '--negatives', '16', '--batch-size', '512', '--workers', '1']);
    console.log('| model | positive triples/s | / TransE (1 thread, same negatives and batch) |\n|---|---:|---:|');
    console.log(`| transe | ${fmt(base)} | 1.00 |`);
    const mm: Record<string, number> = { transe: base };
    for (const model of ['ikrl', 'tbkge', 'transae', 'mmkrl']) {
      mm[model] = mmkgeTrain([...common, '--model', model]);
      console.log(`| ${model} | ${fmt(mm[model])} | ${(mm[model] / base).toFixed(2)} |`);
    }
    console.log('');
    return mm;
  } finally {
    fs.rmSync(wn.dir, { recursive: true, force: true });
  }
}

/** Runs the three comparisons, prints Markdown tables, returns the figures. */
export async function runTrainCliBench(quick: boolean): Promise<Record<string, unknown>> {
  return { transe: await transeVsTorch(quick), rotate: await rotateWorkers(quick), multimodal: await multimodalVsTranse(quick) };
}
