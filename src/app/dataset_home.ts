/**
 * Composition of the data home with both registries (KG and classification): `mmkge download
 * NAME|all`, and the check every command makes first so that a missing dataset stops it at once
 * with one message (kg-data/data_home.ts) instead of failing after slow set-up.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadFiles, type DataFileDescription, type DownloadOptions } from '../download';
import { defaultCacheDir } from '../paths';
import { DatasetNotFoundError, locateDataset, missingDatasetMessage, requireDataset, type DataHomeEntry } from '../../kg-data/data_home';
import { DATASETS } from '../../kg-data/registry';
import { CLS_DATASETS } from '../../cls-data/registry';

/** A dataset of either registry, as the data home and the downloader see it. */
export interface HomeDataset extends DataHomeEntry {
  readonly title: string;
  readonly files: readonly DataFileDescription[];
}

/** Every registry dataset by name (KG first, then classification). */
export function homeDatasets(): Map<string, HomeDataset> {
  const out = new Map<string, HomeDataset>();
  for (const d of [...Object.values(DATASETS), ...Object.values(CLS_DATASETS)]) out.set(d.name, d);
  return out;
}

let downloadMissing = false;

/** Make {@link checkDatasetAvailable} download a missing registry dataset instead of stopping (`--download-missing`). */
export function setDownloadMissing(on: boolean): void {
  downloadMissing = on;
}

/**
 * Stop at once when `dataset` is a registry name that the data home lacks (or, with
 * `--download-missing`, download it first). Directory paths and unknown names pass through to
 * the loaders, which report them.
 */
export async function checkDatasetAvailable(dataset: string, log: (m: string) => void = (m) => console.error(m)): Promise<void> {
  const d = homeDatasets().get(dataset.toLowerCase());
  if (!d || locateDataset(d) !== undefined) return;
  if (!downloadMissing) throw new DatasetNotFoundError(d.name, missingDatasetMessage(d));
  log(`${d.name} is not in the data home; downloading it (--download-missing) ...`);
  try {
    await downloadDataset(d.name, { log });
  } catch (err) {
    throw new DatasetNotFoundError(d.name, `${missingDatasetMessage(d)} The automatic download failed: ${(err as Error).message}`);
  }
  requireDataset(d);
}

/** sha256 of a file, streamed. */
async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `mmkge download NAME`: fetch the dataset's files with pinned URLs into `<cache>/NAME`
 * (src/download.ts: verified, atomic). A folder already there is checked against the sha256
 * values instead. Files without a URL (derived or inside archives) are listed with how to get them.
 */
export async function downloadDataset(name: string, opts: DownloadOptions = {}): Promise<string> {
  const d = homeDatasets().get(name.toLowerCase());
  if (!d) throw new Error(`unknown dataset '${name}': known datasets are ${[...homeDatasets().keys()].join(', ')} (or all)`);
  const log = opts.log ?? ((m: string) => console.log(m));
  const target = path.join(defaultCacheDir(), d.name);
  const fetched = d.files.filter((f) => f.url !== undefined);
  if (fs.existsSync(target)) {
    for (const f of fetched) {
      const file = path.join(target, ...f.path.split('/'));
      if (!fs.existsSync(file)) throw new Error(`${target} exists but lacks ${f.path}; remove the folder and run \`mmkge download ${d.name}\` again`);
      const digest = await sha256File(file);
      if (digest !== f.sha256) throw new Error(`${file}: sha256 ${digest}, expected ${f.sha256}; remove ${target} and download again`);
    }
    log(`${d.name}: already in ${target} (${fetched.length} files verified by sha256)`);
    return target;
  }
  log(`${d.name}: ${d.title}; fetching ${fetched.length} files (${fetched.reduce((s, f) => s + f.bytes, 0)} bytes) into ${target}`);
  await downloadFiles(d.files, target, { ...opts, log });
  for (const f of d.files.filter((x) => x.url === undefined)) log(`  not downloaded: ${f.path} - ${f.obtain ?? 'no public single-file source'}`);
  return target;
}
