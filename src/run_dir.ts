import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The run directory of a training: created and probed for writing before any data is loaded,
 * locked against a second training (a `.lock` file with the owner's pid, removed on exit, on
 * Ctrl-C and on an error; a lock whose process is dead is taken over), and refused when it
 * already holds another run unless the caller asks to overwrite it (then it is cleared first).
 */
export const LOCK_FILE = '.lock';

/** What a run needs from its directory. */
export interface ClaimOptions {
  /** Continue the run in the directory (it must hold one). */
  resume?: boolean;
  /** Replace the run in the directory: its files are deleted first. */
  overwrite?: boolean;
  /** Flag that named the directory, for messages (default `--out`). */
  flag?: string;
  log?: (m: string) => void;
}

/** A claimed run directory; `release()` removes the lock (idempotent). */
export interface RunDirectory {
  readonly dir: string;
  release(): void;
}

/** Files a training writes; their presence marks an mmkge run directory. */
const RUN_MARKERS = ['config.json', 'checkpoint.bin', 'metrics.json', 'model-best.bin', 'loss.csv'];

/**
 * Create `dir` (and missing parents) one level at a time and check it is writable. Node's
 * recursive mkdir loops forever on paths like /proc/x, so parents are walked here, bounded.
 */
export function ensureWritableDirectory(dir: string, flag = '--out'): string {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(cur);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a file somewhere above; the walk up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`${flag} ${dir}: cannot use ${cur} (${(err as NodeJS.ErrnoException).code})`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw new Error(`${flag} ${dir}: ${cur} exists and is not a directory`);
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`${flag} ${dir}: cannot create ${d} (${code ?? (err as Error).message})`);
    }
  }
  const probe = path.join(abs, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    throw new Error(`${flag} ${dir}: not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return abs;
}

/** Make `dir` ready for a run (see the module comment); throws with what is there and what to do. */
export function claimRunDirectory(dir: string, opts: ClaimOptions = {}): RunDirectory {
  const flag = opts.flag ?? '--out';
  const log = opts.log ?? (() => undefined);
  const abs = ensureWritableDirectory(dir, flag);
  const release = takeLock(abs, log);
  try {
    removeStaleTempFiles(abs);
    const entries = fs.readdirSync(abs).filter((e) => e !== LOCK_FILE);
    if (opts.resume) {
      if (!entries.includes('config.json')) {
        throw new Error(`--resume ${dir}: no config.json there, so it holds no run to continue${entries.length ? ` (it has ${preview(entries)})` : ' (it is empty)'}`);
      }
    } else if (entries.length === 1 && entries[0] === 'config.json') {
      // A run that stopped before writing anything else (e.g. bad data): nothing is lost by starting anew.
      log(`note: ${dir} holds only the config.json of a run that never finished an epoch; starting the new run there`);
    } else if (entries.length > 0) {
      if (!opts.overwrite) {
        throw new Error(`${flag} ${dir} already holds ${preview(entries)}: pass --overwrite to delete them and start a new run, --resume ${dir} to continue that run, or choose another ${flag}`);
      }
      if (!entries.some((e) => RUN_MARKERS.includes(e))) {
        throw new Error(`${flag} ${dir} holds ${preview(entries)} but no mmkge run (no ${RUN_MARKERS.join(', ')}); --overwrite only clears run directories`);
      }
      for (const e of entries) fs.rmSync(path.join(abs, e), { recursive: true, force: true });
      log(`--overwrite: deleted ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${dir}`);
    }
  } catch (err) {
    release();
    throw err;
  }
  return { dir: abs, release };
}

function preview(entries: string[]): string {
  const shown = entries.slice(0, 5).join(', ');
  return entries.length > 5 ? `${shown} and ${entries.length - 5} more` : shown;
}

/** Temp files of atomic writes whose writer died (`name.tmp-PID`). */
function removeStaleTempFiles(dir: string): void {
  for (const e of fs.readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(e);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(dir, e), { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockRecord {
  pid: number;
  host: string;
  started: string;
}

const held = new Set<string>();
let lastYield = 0;

/**
 * Lets the event loop run (and with it the SIGINT/SIGTERM handlers below, which release the run's
 * lock and exit) once `everyMs` have passed since the last time. Long synchronous loops call it
 * between batches: an FB-IMG epoch takes minutes, and Ctrl-C would otherwise wait for its end.
 */
export async function yieldToSignals(everyMs = 200): Promise<void> {
  const now = performance.now();
  if (now - lastYield < everyMs) return;
  lastYield = now;
  await new Promise<void>((resolve) => setImmediate(resolve));
}

let handlersInstalled = false;

/** Release every lock this process holds: on exit, and on SIGINT/SIGTERM before exiting. */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const releaseAll = (): void => {
    for (const f of held) {
      try {
        fs.unlinkSync(f);
      } catch {
        // already gone
      }
    }
    held.clear();
  };
  process.on('exit', releaseAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      releaseAll();
      process.exit(code);
    });
  }
}

function takeLock(dir: string, log: (m: string) => void): () => void {
  const file = path.join(dir, LOCK_FILE);
  const record: LockRecord = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(record) + '\n', { flag: 'wx' });
      installHandlers();
      held.add(file);
      return () => {
        if (!held.delete(file)) return;
        try {
          fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${dir}: cannot create the lock ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
    let other: Partial<LockRecord> = {};
    try {
      other = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    } catch {
      // A lock torn by a crash while it was being written: nobody can own it.
    }
    const sameHost = other.host === undefined || other.host === os.hostname();
    if (typeof other.pid === 'number' && (!sameHost || isAlive(other.pid))) {
      const who = held.has(file) ? 'this process' : `pid ${other.pid}${sameHost ? '' : ` on ${other.host}`}`;
      throw new Error(`${dir} is in use by another training (${who}, since ${other.started ?? '?'}); wait for it, stop it, or choose another --out (if no such process exists, delete ${file})`);
    }
    log(`removing the stale lock of ${typeof other.pid === 'number' ? `pid ${other.pid}, which is no longer running` : 'a crashed process'}`);
    fs.rmSync(file, { force: true });
  }
  throw new Error(`${dir}: another process took the lock ${file} at the same time`);
}
