/**
 * Verified, atomic download of a dataset's files (`mmkge download`): every file is fetched from
 * its pinned URL into a staging folder beside the target, its size and sha256 are checked, and
 * only when all files are good is the staging folder renamed to the target. A failure (no
 * network, HTTP error, connection cut mid-file, wrong checksum) removes the staging folder and
 * names the URL and the problem, so nothing half-written is ever left where loaders look.
 *
 * `MMKGE_DOWNLOAD_BASE` (or `options.base`) replaces the `https://raw.githubusercontent.com`
 * prefix of every URL: a mirror, or the local test server.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Progress } from './progress';

/** The host every pinned URL starts with (overridable by {@link DownloadOptions.base}). */
export const RAW_BASE = 'https://raw.githubusercontent.com';

/** One file of a dataset description: where it comes from and what it must hash to. */
export interface DataFileDescription {
  /** Path inside the dataset folder, `/`-separated. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** sha256 of the bytes, lower-case hex. */
  readonly sha256: string;
  /** What the file holds (format, rows). */
  readonly format: string;
  /** Pinned raw URL of the original repository at a fixed commit; absent when it cannot be fetched one by one. */
  readonly url?: string;
  /** For files without `url`: where the file comes from and how to obtain or rebuild it. */
  readonly obtain?: string;
}

/** Options of {@link downloadFiles}. */
export interface DownloadOptions {
  /** Replaces {@link RAW_BASE} in every URL (default env MMKGE_DOWNLOAD_BASE). */
  readonly base?: string;
  /** Connection / idle timeout per request in ms (default 10000). */
  readonly timeoutMs?: number;
  /** Progress bar on stderr (default true). */
  readonly progress?: boolean;
  readonly log?: (m: string) => void;
}

/** A failed download: `url` and what went wrong. */
export class DownloadError extends Error {
  constructor(readonly url: string, readonly problem: string) {
    super(`download failed: ${url}: ${problem}`);
    this.name = 'DownloadError';
  }
}

/** The URL a description's `url` is fetched from after the base override. */
export function effectiveUrl(url: string, base: string | undefined = process.env.MMKGE_DOWNLOAD_BASE): string {
  const b = base?.trim();
  if (!b || !url.startsWith(RAW_BASE)) return url;
  return b.replace(/\/+$/, '') + url.slice(RAW_BASE.length);
}

/**
 * Fetch `files` (those with a `url`) into `target` atomically (module comment). `target` must
 * not exist yet. Resolves to the number of bytes written; rejects with a {@link DownloadError}.
 */
export async function downloadFiles(files: readonly DataFileDescription[], target: string, opts: DownloadOptions = {}): Promise<number> {
  const wanted = files.filter((f) => f.url !== undefined);
  if (fs.existsSync(target)) throw new Error(`${target} exists already; remove it to download again`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.partial-`));
  const total = wanted.reduce((s, f) => s + f.bytes, 0);
  const bar = new Progress(`download ${path.basename(target)}`, total, opts.progress ?? true, 5000);
  let done = 0;
  try {
    for (const f of wanted) {
      const url = effectiveUrl(f.url as string, opts.base);
      const out = path.join(staging, ...f.path.split('/'));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const before = done;
      const digest = await fetchToFile(url, out, f.bytes, opts.timeoutMs ?? 10000, (n) => bar.update(before + n, f.path));
      done = before + f.bytes;
      if (digest !== f.sha256) throw new DownloadError(url, `sha256 mismatch: got ${digest}, expected ${f.sha256} (the file changed upstream or was corrupted in transit)`);
    }
    bar.stop();
    fs.renameSync(staging, target);
  } catch (err) {
    bar.stop();
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  opts.log?.(`wrote ${wanted.length} files (${done} bytes) to ${target}`);
  return done;
}

/** GET `url` into `file` (following up to 5 redirects); resolves to the sha256 of the bytes. */
function fetchToFile(url: string, file: string, expectedBytes: number, timeoutMs: number, onBytes: (n: number) => void, redirects = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (problem: string): void => {
      if (settled) return;
      settled = true;
      reject(new DownloadError(url, problem));
    };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      fail('not a valid URL');
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      fail(`unsupported protocol ${parsed.protocol}`);
      return;
    }
    const req = client.get(parsed, { timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) return fail('too many redirects');
        settled = true;
        fetchToFile(new URL(res.headers.location, url).toString(), file, expectedBytes, timeoutMs, onBytes, redirects + 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        return fail(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
      }
      const announced = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      if (announced !== undefined && announced !== expectedBytes) {
        res.resume();
        return fail(`size mismatch: the server sends ${announced} bytes, expected ${expectedBytes} (the file changed upstream?)`);
      }
      const hash = createHash('sha256');
      const out = fs.createWriteStream(file);
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        if (received > expectedBytes) {
          req.destroy();
          fail(`more bytes than the ${expectedBytes} expected`);
          return;
        }
        if (!out.write(chunk)) res.pause();
        onBytes(received);
      });
      out.on('drain', () => res.resume());
      out.on('error', (err) => fail(`cannot write ${file}: ${err.message}`));
      res.on('aborted', () => fail(`connection cut after ${received} of ${expectedBytes} bytes`));
      res.on('error', (err) => fail(`connection cut after ${received} of ${expectedBytes} bytes (${err.message})`));
      res.on('end', () => {
        out.end(() => {
          if (received !== expectedBytes) fail(`connection cut after ${received} of ${expectedBytes} bytes`);
          else if (!settled) {
            settled = true;
            resolve(hash.digest('hex'));
          }
        });
      });
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${timeoutMs / 1000} s (no network?)`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(networkProblem(err)));
  });
}

/** A readable reason for a socket-level error. */
function networkProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host (no network?) [${err.code}]`;
    case 'ECONNREFUSED':
      return `connection refused [${err.code}]`;
    case 'ECONNRESET':
      return `connection reset [${err.code}]`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `network unreachable (no network?) [${err.code}]`;
    default:
      return `${err.message}${err.code ? ` [${err.code}]` : ''}`;
  }
}
