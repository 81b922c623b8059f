/**
 * The data home: where a registry dataset (KG or classification) is looked for, in this order
 * (as PyKEEN, torchvision and Hugging Face datasets keep data out of the package):
 *
 * 1. `--data-dir DIR` ({@link setDataDir}, set by the CLI);
 * 2. each folder of env `MMKGE_DATA`, a path list separated by ':' (';' on Windows);
 * 3. the cache, {@link defaultCacheDir} (`$MMKGE_CACHE`, else `$XDG_CACHE_HOME/mmkge`, else
 *    `~/.cache/mmkge`), where `mmkge download` writes.
 *
 * In each root a dataset is a folder named like its registry key (`wn9-img/`) or like the folders
 * of the shared data README (`WN9-IMG/`, `FB-IMG/`, `MVSA-Single/`, ...), holding the dataset's
 * marker file (optionally gzipped). Derived files (word-vector slices, BoW vocabularies) live in
 * `<cache>/derived/<name>/`, never in the package.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultCacheDir } from '../src/paths';

let dataDirOverride: string | undefined;

/** Set (or clear) the `--data-dir` root searched before `MMKGE_DATA` and the cache. */
export function setDataDir(dir: string | undefined): void {
  dataDirOverride = dir === undefined || dir.trim() === '' ? undefined : path.resolve(dir);
}

/** One folder searched for datasets and why it is searched. */
export interface DataRoot {
  readonly dir: string;
  readonly origin: '--data-dir' | 'MMKGE_DATA' | 'cache';
}

/** The roots searched, in order (see the module comment). */
export function dataRoots(env: NodeJS.ProcessEnv = process.env): DataRoot[] {
  const roots: DataRoot[] = [];
  if (dataDirOverride) roots.push({ dir: dataDirOverride, origin: '--data-dir' });
  for (const p of (env.MMKGE_DATA ?? '').split(path.delimiter)) {
    if (p.trim() !== '') roots.push({ dir: path.resolve(p.trim()), origin: 'MMKGE_DATA' });
  }
  roots.push({ dir: defaultCacheDir(env), origin: 'cache' });
  return roots;
}

/** What the data home needs to know to find a dataset. */
export interface DataHomeEntry {
  /** Registry key (`wn9-img`, `hfm`): the folder name `mmkge download` writes. */
  readonly name: string;
  /** Folder names accepted in a root, the registry key first (`['wn9-img', 'WN9-IMG']`). */
  readonly folders: readonly string[];
  /** A file (relative, gzip optional) whose presence says that a folder holds the dataset. */
  readonly marker: readonly string[];
}

/**
 * Candidate names of a dataset file: the name as written, then with or without `.gz`, then the
 * same with or without a `.txt` extension (the shared copies, the downloads and older gzipped
 * copies spell `train.txt`, `train` and `train.txt.gz`).
 */
export function fileCandidates(relative: string): string[] {
  const noGz = relative.replace(/\.gz$/, '');
  const bare = noGz.replace(/\.txt$/, '');
  const out = [relative, noGz, `${noGz}.gz`, bare, `${bare}.gz`, `${bare}.txt`, `${bare}.txt.gz`];
  return [...new Set(out)];
}

/** The existing file among {@link fileCandidates} of `relative` in `dir`, or undefined. */
export function findDataFile(dir: string, relative: string): string | undefined {
  for (const c of fileCandidates(relative)) {
    const p = path.join(dir, c);
    if (isFile(p)) return p;
  }
  return undefined;
}

/** Folder of a dataset in the data home, or undefined when no root holds it. */
export function locateDataset(entry: DataHomeEntry, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const root of dataRoots(env)) {
    for (const folder of entry.folders) {
      const dir = path.join(root.dir, folder);
      if (entry.marker.some((m) => findDataFile(dir, m) !== undefined)) return dir;
    }
  }
  return undefined;
}

/** A registry dataset that no root of the data home holds. */
export class DatasetNotFoundError extends Error {
  constructor(readonly dataset: string, message: string) {
    super(message);
    this.name = 'DatasetNotFoundError';
  }
}

/** The one message for a missing dataset: where it looked and the two ways to get it there. */
export function missingDatasetMessage(entry: DataHomeEntry, env: NodeJS.ProcessEnv = process.env): string {
  const roots = dataRoots(env);
  const looked = roots.map((r) => `${r.dir} (${r.origin})`).join(', ');
  const folders = entry.folders.map((f) => `${f}/`).join(' or ');
  const given = roots.some((r) => r.origin === 'MMKGE_DATA') ? '' : ' (MMKGE_DATA is not set)';
  return (
    `dataset '${entry.name}' not found: looked for ${folders} in ${looked}${given}. ` +
    `Run \`mmkge download ${entry.name}\` to fetch it into ${defaultCacheDir(env)}, or set MMKGE_DATA ` +
    `to a folder that already holds it (':'-separated list; e.g. MMKGE_DATA=../shared/data), or pass --data-dir DIR.`
  );
}

/** Folder of a dataset, or a {@link DatasetNotFoundError} with {@link missingDatasetMessage}. */
export function requireDataset(entry: DataHomeEntry, env: NodeJS.ProcessEnv = process.env): string {
  const dir = locateDataset(entry, env);
  if (dir === undefined) throw new DatasetNotFoundError(entry.name, missingDatasetMessage(entry, env));
  return dir;
}

/** Folder of the files derived from dataset `name` (in the cache, never in the package). */
export function derivedDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultCacheDir(env), 'derived', name);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
