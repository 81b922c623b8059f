/**
 * A synchronous fork-join pool over worker threads: the calling thread posts one phase, works on it
 * itself, and blocks (Atomics.wait) until every worker has finished it. Work is handed out in claims
 * of `claim` units from a shared counter, so who computes a unit is left to chance; callers make each
 * unit's result independent of who computed it (that is what keeps results equal for any thread
 * count). No event-loop round trip per phase: a phase costs a futex wake, not a message.
 *
 * Protocol (one Int32Array on a SharedArrayBuffer, see the slot constants): the caller sets the
 * phase, the unit count and the claim size, opens the phase (JOIN), bumps GENERATION and notifies;
 * a worker that wakes while the phase is open joins it and runs claims until none are left. Once
 * the caller has run out of claims it closes the phase and waits only for the workers that joined:
 * on a busy machine a worker the scheduler has not woken yet costs nothing. Errors in a worker are caught there and their message is
 * written to a shared byte buffer; a worker that exits (even abruptly through process.exit) says so
 * from its 'exit' handler. Either way the caller gets one Error, and every later phase gets it too.
 */
import * as fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const GENERATION = 0;
const PHASE = 1;
const UNITS = 2;
const CLAIM = 3;
const NEXT = 4;
const DONE = 5;
const FAILED = 6;
const STOP = 7;
const ERROR_BYTES = 8;
/** Who works on the current phase: bits 0-9 joined workers, bit 10 closed, bits 11-30 generation tag. */
const JOIN = 9;
/** Claims run by worker threads since the pool started (a statistic: which thread ran what never matters). */
const WORKER_CLAIMS = 10;
const CONTROL_SLOTS = 11;
const ACTIVE_MASK = 0x3ff;
const CLOSED = 0x400;
const TAG_SHIFT = 11;
const TAG_MASK = 0xfffff;
const ERROR_CAPACITY = 4096;

/** Phase number reserved for `configure` (worker handlers never see it as a work phase). */
const CONFIGURE = -1;

/** What a worker thread receives in workerData (plus its own fields under `data`). */
interface LockstepWorkerData {
  control: Int32Array;
  error: Uint8Array;
  port: MessagePort;
  data: unknown;
}

/** A worker's side of a pool: `configure` with each `LockstepPool.configure` message, `work` on claims. */
export interface LockstepHandler {
  configure(message: unknown): void;
  work(phase: number, from: number, to: number): void;
}

/** Work the calling thread does on its own claims of a phase. */
export type LocalWork = (phase: number, from: number, to: number) => void;

/** Raised for a failure inside a pool's worker thread (its message names the thread's error). */
export class LockstepWorkerError extends Error {}

/**
 * `threads` - 1 worker threads running `workerFile` (a compiled .js that calls `serveLockstep`) plus
 * the calling thread. With threads <= 1 no thread is started and `run` works in the caller only.
 * Threads are unref'd (a pool left open never keeps the process alive); `dispose()` stops them.
 */
export class LockstepPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  private readonly error = new Uint8Array(new SharedArrayBuffer(ERROR_CAPACITY));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private broken?: Error;
  private disposed = false;
  /** Resolves when every worker thread has exited (after `dispose`, or a crash). */
  readonly exited: Promise<void>;

  constructor(workerFile: string, threads: number, data: unknown) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`LockstepPool: threads must be an integer >= 1, got ${threads}`);
    const exits: Promise<void>[] = [];
    if (threads > 1 && !fs.existsSync(workerFile)) {
      throw new Error(`worker ${workerFile} not found: compile the project (npx tsc -p .) and run from dist/`);
    }
    for (let i = 1; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const workerData: LockstepWorkerData = { control: this.control, error: this.error, port: port2, data };
      const w = new Worker(workerFile, { workerData, transferList: [port2] });
      // The caller is blocked in Atomics.wait while workers run, so these events matter only between
      // phases; the worker itself reports failures through shared memory (serveLockstep).
      w.on('error', (err: Error) => this.fail(`worker thread failed: ${err.message}`));
      exits.push(new Promise((resolve) => w.on('exit', () => resolve())));
      w.unref();
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
    this.exited = Promise.all(exits).then(() => undefined);
  }

  /** Claims the worker threads (not the caller) have run so far. */
  get workerClaims(): number {
    return Atomics.load(this.control, WORKER_CLAIMS);
  }

  /** Threads that work on a phase, the caller included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Sends `message` to every worker's `configure` (and waits until all have taken it). */
  configure(message: unknown): void {
    for (const p of this.ports) p.postMessage(message);
    this.dispatch(CONFIGURE, 0, 1, () => {});
  }

  /**
   * Runs units [0, units) of `phase`, `claim` at a time, on every thread; `local` is the caller's
   * share (the same work as the workers' handler). Returns when all units are done; throws the
   * first error of any thread (a worker's as LockstepWorkerError).
   */
  run(phase: number, units: number, claim: number, local: LocalWork): void {
    if (!(Number.isInteger(phase) && phase >= 0)) throw new Error(`LockstepPool.run: phase must be an integer >= 0, got ${phase}`);
    if (units <= 0) return;
    this.dispatch(phase, units, Math.max(1, Math.floor(claim)), local);
  }

  /** Stops the worker threads (idempotent); the pool cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.broken ??= new Error('LockstepPool: disposed');
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const p of this.ports) p.close();
  }

  private dispatch(phase: number, units: number, claim: number, local: LocalWork): void {
    if (this.broken) throw this.broken;
    const c = this.control;
    if (this.workers.length === 0) {
      if (phase !== CONFIGURE) local(phase, 0, units);
      return;
    }
    const generation = (Atomics.load(c, GENERATION) + 1) | 0;
    Atomics.store(c, PHASE, phase);
    Atomics.store(c, UNITS, units);
    Atomics.store(c, CLAIM, claim);
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, JOIN, (generation & TAG_MASK) << TAG_SHIFT);
    Atomics.store(c, GENERATION, generation);
    Atomics.notify(c, GENERATION);
    let localError: unknown;
    if (phase === CONFIGURE) {
      // every worker must take its message: wait for all of them
      const n = this.workers.length;
      for (let d = Atomics.load(c, DONE); d < n && Atomics.load(c, FAILED) !== 2; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d, 1000);
    } else {
      try {
        claimLoop(c, phase, local);
      } catch (err) {
        localError = err;
        Atomics.store(c, NEXT, units); // nothing left to claim: the workers stop early
      }
      Atomics.or(c, JOIN, CLOSED);
      for (let j = Atomics.load(c, JOIN); (j & ACTIVE_MASK) > 0; j = Atomics.load(c, JOIN)) {
        if (Atomics.load(c, FAILED) === 2) break; // a worker exited mid-phase
        Atomics.wait(c, JOIN, j, 1000);
      }
    }
    if (Atomics.load(c, FAILED) !== 0) this.fail(`worker thread failed: ${decodeError(this.error, c)}`);
    if (this.broken) throw this.broken;
    if (localError !== undefined) throw localError;
  }

  private fail(message: string): void {
    this.broken ??= new LockstepWorkerError(message);
  }
}

/** Claims of the current phase until none are left. */
function claimLoop(c: Int32Array, phase: number, work: LocalWork): void {
  const units = Atomics.load(c, UNITS);
  const claim = Atomics.load(c, CLAIM);
  for (;;) {
    const from = Atomics.add(c, NEXT, claim);
    if (from >= units) return;
    work(phase, from, Math.min(units, from + claim));
  }
}

/** The error a worker recorded (first one wins). */
function decodeError(error: Uint8Array, c: Int32Array): string {
  const n = Math.min(Atomics.load(c, ERROR_BYTES), ERROR_CAPACITY);
  return Buffer.from(error.slice(0, n)).toString('utf8') || 'unknown error';
}

/** Records `message` unless a failure is already recorded; state 1 = error, 2 = thread exited. */
function recordError(error: Uint8Array, c: Int32Array, message: string, state: 1 | 2): void {
  if (Atomics.compareExchange(c, FAILED, 0, state) !== 0) {
    if (state === 2) Atomics.store(c, FAILED, 2);
    return;
  }
  const bytes = Buffer.from(message, 'utf8').subarray(0, ERROR_CAPACITY);
  error.set(bytes);
  Atomics.store(c, ERROR_BYTES, bytes.length);
}

/**
 * The worker side: call once at the top level of the worker file with a factory of the handler
 * (given the pool's `data`). Runs until the pool is disposed; never returns to the event loop.
 */
export function serveLockstep(workerData: unknown, create: (data: unknown) => LockstepHandler): void {
  const { control: c, error, port, data } = workerData as LockstepWorkerData;
  let stopping = false;
  let joined = false;
  process.on('exit', () => {
    if (stopping) return;
    recordError(error, c, 'the thread exited unexpectedly', 2);
    if (joined) Atomics.sub(c, JOIN, 1);
    Atomics.notify(c, JOIN);
    Atomics.notify(c, DONE);
  });
  let handler: LockstepHandler | undefined;
  let setupError: string | undefined;
  try {
    handler = create(data);
  } catch (err) {
    setupError = `setup: ${(err as Error).message}`;
  }
  let seen = 0;
  for (;;) {
    Atomics.wait(c, GENERATION, seen);
    seen = Atomics.load(c, GENERATION);
    if (Atomics.load(c, STOP) === 1) break;
    const phase = Atomics.load(c, PHASE);
    if (phase !== CONFIGURE) {
      joined = tryJoin(c, seen & TAG_MASK);
      if (!joined) continue; // closed already: the caller did this phase without us
    }
    try {
      if (setupError !== undefined) throw new Error(setupError);
      if (phase === CONFIGURE) {
        const received = receiveMessageOnPort(port);
        if (!received) throw new Error('configure: no message arrived');
        handler!.configure(received.message);
      } else {
        claimLoop(c, phase, (p, from, to) => {
          Atomics.add(c, WORKER_CLAIMS, 1);
          handler!.work(p, from, to);
        });
      }
    } catch (err) {
      Atomics.store(c, NEXT, Atomics.load(c, UNITS));
      recordError(error, c, (err as Error)?.message ?? String(err), 1);
    }
    if (phase === CONFIGURE) {
      Atomics.add(c, DONE, 1);
      Atomics.notify(c, DONE);
    } else {
      joined = false;
      Atomics.sub(c, JOIN, 1);
      Atomics.notify(c, JOIN);
    }
  }
  stopping = true;
  port.close();
}

/** Joins the open phase of generation tag `tag`; false once it is closed or another generation began. */
function tryJoin(c: Int32Array, tag: number): boolean {
  for (;;) {
    const s = Atomics.load(c, JOIN);
    if (s >>> TAG_SHIFT !== tag || (s & CLOSED) !== 0) return false;
    if (Atomics.compareExchange(c, JOIN, s, s + 1) === s) return true;
  }
}
