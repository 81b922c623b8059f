import { parentPort, workerData } from 'node:worker_threads';
import { OrtHead } from './engine_ort';
import type { GraphAnswer, GraphJob, GraphWorkerData, SharedLayout } from './graph_thread';
import type { GraphParamUpdate, GraphTensor } from './head';
import { applyRowRange } from '../optim';

/**
 * Entry of a GraphThread (graph_thread.ts): runs each posted graph on its own OrtHead. Feeds are
 * copied out of the shared feed buffer into plain arrays (ORT's binding rejects shared memory),
 * outputs into the shared output buffer, which grows (and is sent back) when a job needs more.
 */
const { device, threads, results, done } = workerData as GraphWorkerData;
const head = new OrtHead(device, threads);
const models = new Map<string, Uint8Array>();
const staging = new Map<string, Float32Array>();
let feedBuffer: Float32Array = new Float32Array(0);
let outputBuffer = new Float32Array(new SharedArrayBuffer(0));
/** Update tables and optimiser states by slot (sent once, see GraphJob.newSlots). */
const slots = new Map<number, { table: Float32Array; optimizer: GraphParamUpdate['optimizer'] }>();

function run(job: GraphJob): GraphAnswer {
  if (job.feedBuffer) feedBuffer = new Float32Array(job.feedBuffer);
  if (job.model) models.set(job.key, job.model);
  if (job.resetSlots) slots.clear();
  for (const { slot, table, optimizer } of job.newSlots ?? []) slots.set(slot, { table, optimizer });
  const model = models.get(job.key);
  if (!model) throw new Error(`no model was sent for graph ${job.key}`);
  const feeds: Record<string, GraphTensor> = {};
  for (const [name, offset, dims] of job.feeds) {
    const n = dims.reduce((a, b) => a * b, 1);
    let s = staging.get(name);
    if (!s || s.length !== n) staging.set(name, (s = new Float32Array(n)));
    s.set(feedBuffer.subarray(offset, offset + n));
    feeds[name] = { data: s, dims };
  }
  const updates = job.updates ?? [];
  const out = head.runGraph(job.key, () => model, feeds, [...job.outputs, ...updates.map((u) => u.gradient)]);
  // the whole table as one row: the arithmetic of the optimiser's dense step (see GraphParamUpdate)
  for (const u of updates) {
    const { table, optimizer } = slots.get(u.slot)!;
    const g = out[u.gradient];
    if (g.length !== table.length) throw new Error(`update '${u.gradient}': the gradient holds ${g.length} floats, the table ${table.length}`);
    applyRowRange(optimizer, u.scalar, table, table.length, null, 0, 1, g);
  }
  const layout: SharedLayout = [];
  let total = 0;
  for (const name of job.outputs) {
    layout.push([name, total, [out[name].length]]);
    total += out[name].length;
  }
  const answer: GraphAnswer = { id: job.id, outputs: layout };
  if (outputBuffer.length < total) {
    outputBuffer = new Float32Array(new SharedArrayBuffer(4 * total));
    answer.outputBuffer = outputBuffer.buffer as SharedArrayBuffer;
  }
  for (const [name, offset] of layout) outputBuffer.set(out[name], offset);
  return answer;
}

parentPort!.on('message', (job: GraphJob) => {
  let answer: GraphAnswer;
  try {
    answer = run(job);
  } catch (err) {
    answer = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  results.postMessage(answer);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
