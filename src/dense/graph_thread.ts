import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { graphFeedSize, type GraphParamUpdate, type GraphTensor } from './head';
import type { OrtDevice } from './engine_ort';

/** Compiled worker entry next to this module (dist/src/dense/graph_worker.js). */
export const GRAPH_WORKER_FILE = path.join(__dirname, 'graph_worker.js');

/** Where a named array lies in a shared buffer: [name, offset in floats, dims]. */
export type SharedLayout = [name: string, offset: number, dims: number[]][];

/** What the caller posts: one graph run; feeds lie in the shared feed buffer. */
export interface GraphJob {
  id: number;
  key: string;
  /** The ONNX model, sent the first time a key is used. */
  model?: Uint8Array;
  /** A new (larger) feed buffer, when it changed. */
  feedBuffer?: SharedArrayBuffer;
  feeds: SharedLayout;
  outputs: readonly string[];
  /** Optimiser steps to apply from further outputs before answering (their tables are shared, so nothing comes back). */
  updates?: readonly GraphJobUpdate[];
  /** Tables and optimiser states of updates, sent once per table (cloning shared arrays on every post cost ~0.2 ms). */
  newSlots?: readonly { slot: number; table: Float32Array; optimizer: GraphParamUpdate['optimizer'] }[];
  /** The thread forgets its slots before reading newSlots (so that tables of finished runs can go). */
  resetSlots?: boolean;
}

/** One update of a job: the gradient output, the table's slot (see GraphJob.newSlots) and the step's scalar. */
export interface GraphJobUpdate {
  gradient: string;
  slot: number;
  scalar: number;
}

/** What the thread answers on the result port (then it counts up `done`); outputs lie in the shared output buffer. */
export interface GraphAnswer {
  id: number;
  /** A new (larger) output buffer, when it changed. */
  outputBuffer?: SharedArrayBuffer;
  outputs?: SharedLayout;
  error?: string;
}

/** workerData of graph_worker.js. */
export interface GraphWorkerData {
  device: OrtDevice;
  threads: number;
  /** Answers go here; the caller reads them synchronously (receiveMessageOnPort). */
  results: MessagePort;
  /** [0]: answers posted so far (the caller waits on it with Atomics.wait). */
  done: Int32Array;
}

/** How long `wait` blocks for one answer before it gives up with an error (a graph takes ms). */
const ANSWER_TIMEOUT_MS = 120_000;

/** Update tables the thread keeps before it forgets them all (each run's tables are new; a run uses 8). */
const MAX_UPDATE_SLOTS = 64;

const sizeOf = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * ORT graph runs on a thread of their own, so that a caller can overlap a graph with its own work
 * on the other core (IMML's L_mdke graph while tfjs computes the base model's loss). `start`
 * copies the feeds into a shared buffer, posts the job and returns a function that blocks until
 * the outputs are there. The caller may sit inside a synchronous tfjs gradient, so the answer is
 * read with Atomics.wait and receiveMessageOnPort, not through the event loop. Feeds and outputs
 * travel through SharedArrayBuffers reused across jobs (structured clones of ~400 KB per step
 * cost the caller ~1 ms in allocation and GC), and the output arrays are reused per graph. One job
 * is in flight at a time (a start first collects the job before it), so callers may share a thread. The thread runs
 * OrtHead.runGraph with the same session options, so the numbers are those of the calling
 * thread's runGraph. The thread is unref'd (it never keeps the process alive); `dispose()` stops it.
 */
export class GraphThread {
  private readonly worker: Worker;
  private readonly results: MessagePort;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly sent = new Set<string>();
  private feedBuffer = new Float32Array(new SharedArrayBuffer(0));
  private outputBuffer = new Float32Array(new SharedArrayBuffer(0));
  /** The job in flight, and outputs of finished jobs not yet taken. */
  private inFlight?: { id: number; key: string };
  private readonly finished = new Map<number, Record<string, Float32Array> | Error>();
  /** Output arrays by graph and name, reused by every run (allocating ~400 KB per run cost more than the copy). */
  private readonly outputArrays = new Map<string, Float32Array>();
  private nextId = 0;
  private failure?: string;
  /** Slots of the update tables already sent to the thread (by table, with the state it was sent with). */
  private readonly slots = new Map<Float32Array, { slot: number; optimizer: GraphParamUpdate['optimizer'] }>();

  constructor(device: OrtDevice, threads = 1) {
    if (!fs.existsSync(GRAPH_WORKER_FILE)) throw new Error(`worker ${GRAPH_WORKER_FILE} not found: compile the project (npx tsc -p .) and run from dist/`);
    const { port1, port2 } = new MessageChannel();
    const workerData: GraphWorkerData = { device, threads, results: port2, done: this.done };
    this.worker = new Worker(GRAPH_WORKER_FILE, { workerData, transferList: [port2] });
    this.worker.on('error', (err: Error) => (this.failure = `graph thread failed: ${err.message}`));
    this.worker.on('exit', (code) => (this.failure ??= `graph thread exited (code ${code})`));
    this.worker.unref();
    port1.unref();
    this.results = port1;
  }

  /**
   * Posts one run of graph `key` (built by `build` the first time); the returned function blocks for
   * its outputs (once). The output arrays are reused: they hold this run's values until the next
   * run of the same graph is collected. `updates` (tables and optimiser state on SharedArrayBuffers)
   * are applied on the thread before it answers, so they are done when the returned function returns.
   */
  start(
    key: string, build: () => Uint8Array, feeds: Record<string, GraphTensor>, outputs: readonly string[], updates?: readonly GraphParamUpdate[],
  ): () => Record<string, Float32Array> {
    if (this.failure) throw new Error(this.failure);
    for (const u of updates ?? []) {
      if (!(u.table.buffer instanceof SharedArrayBuffer) || u.optimizer.arrays.some((a) => !(a.buffer instanceof SharedArrayBuffer))) {
        throw new Error(`dense graph ${key}: the table and optimiser state of update '${u.gradient}' must lie on SharedArrayBuffers`);
      }
    }
    if (this.inFlight) this.settle();
    const layout: SharedLayout = [];
    let total = 0;
    for (const [name, t] of Object.entries(feeds)) {
      const n = graphFeedSize(key, name, t);
      layout.push([name, total, t.dims]);
      total += n;
    }
    const job: GraphJob = { id: this.nextId++, key, feeds: layout, outputs };
    // what may throw comes first: what the thread is told it has (buffer, slots) must reach it
    if (!this.sent.has(key)) job.model = build();
    if (this.feedBuffer.length < total) {
      this.feedBuffer = new Float32Array(new SharedArrayBuffer(4 * total));
      job.feedBuffer = this.feedBuffer.buffer as SharedArrayBuffer;
    }
    for (const [name, offset, dims] of layout) this.feedBuffer.set(feeds[name].data.subarray(0, sizeOf(dims)), offset);
    if (updates && updates.length > 0) {
      if (this.slots.size + updates.length > MAX_UPDATE_SLOTS) {
        this.slots.clear();
        job.resetSlots = true;
      }
      job.updates = updates.map((u) => ({ gradient: u.gradient, slot: this.slotOf(u, job), scalar: u.scalar }));
    }
    this.worker.postMessage(job);
    this.sent.add(key);
    this.inFlight = { id: job.id, key };
    const id = job.id;
    let taken = false;
    return () => {
      if (taken) throw new Error(`dense graph ${key}: outputs already taken`);
      taken = true;
      if (this.inFlight?.id === id) this.settle();
      const out = this.finished.get(id);
      this.finished.delete(id);
      if (!out) throw new Error(`dense graph ${key}: no outputs for this run`);
      if (out instanceof Error) throw out;
      return out;
    };
  }

  /** The thread's slot of an update's table and state; a table (or state) not sent yet goes with `job`. */
  private slotOf(u: GraphParamUpdate, job: GraphJob): number {
    const known = this.slots.get(u.table);
    if (known && known.optimizer === u.optimizer) return known.slot;
    const slot = known?.slot ?? this.slots.size;
    this.slots.set(u.table, { slot, optimizer: u.optimizer });
    job.newSlots = [...(job.newSlots ?? []), { slot, table: u.table, optimizer: u.optimizer }];
    return slot;
  }

  /** Waits for the job in flight and copies its outputs out of the shared buffer (the next job reuses it). */
  private settle(): void {
    const { id, key } = this.inFlight!;
    this.inFlight = undefined;
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.done, 0);
      const message = receiveMessageOnPort(this.results);
      if (message) {
        const a = message.message as GraphAnswer;
        if (a.id !== id) throw new Error(`dense graph ${key}: the graph thread answered job ${a.id}, expected ${id}`);
        if (a.outputBuffer) this.outputBuffer = new Float32Array(a.outputBuffer);
        if (a.error !== undefined) {
          this.finished.set(id, new Error(`dense graph ${key} (graph thread): ${a.error}`));
          return;
        }
        const out: Record<string, Float32Array> = {};
        for (const [name, offset, dims] of a.outputs!) {
          const n = sizeOf(dims);
          const slot = `${key}:${name}`;
          let array = this.outputArrays.get(slot);
          if (!array || array.length !== n) this.outputArrays.set(slot, (array = new Float32Array(n)));
          array.set(this.outputBuffer.subarray(offset, offset + n));
          out[name] = array;
        }
        this.finished.set(id, out);
        return;
      }
      if (this.failure) throw new Error(this.failure);
      // a crashed thread never counts up (its exit event cannot fire while this thread blocks): time out
      if (Date.now() >= deadline) throw new Error(`dense graph ${key}: no answer from the graph thread in ${ANSWER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.done, 0, seen, 1000);
    }
  }

  /** True once the thread has failed, exited or been disposed (start then throws). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  dispose(): void {
    this.failure ??= 'graph thread disposed';
    void this.worker.terminate();
    this.results.close();
  }
}
