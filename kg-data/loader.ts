/**
 * Load a knowledge-graph dataset (registry name or directory) into a {@link KgDataset}:
 * integer ids plus flat `[h, r, t, ...]` Int32Array splits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KgDataset, SplitName } from '../src/kg';
import { findDataFile } from './data_home';
import { resolveDirectoryLayout } from './layout';
import { datasetDirectory, datasetNames, getDataset, isDatasetName, type DatasetDescriptor, type DatasetLayout } from './registry';
import { forEachTriple, KgDataError, readIdMap, readKeyValueFile, type ColumnOrder, type IdMap } from './triples_reader';

/** Options of {@link loadKgDataset}. */
export interface LoadKgOptions {
  /** Column order of the split files; overrides the registry entry or `dataset.json`. */
  columns?: ColumnOrder;
}

/** Absolute paths of the files a dataset was read from. */
export interface DatasetFiles {
  readonly train: string;
  readonly valid: string;
  readonly test: string;
  readonly entityIds?: string;
  readonly relationIds?: string;
  readonly entityNames?: string;
}

/**
 * A loaded dataset: the core {@link KgDataset} plus where it came from, so that later stages
 * (feature loaders, reports) can find the files next to it.
 */
export interface LoadedKgDataset extends KgDataset {
  /** Absolute dataset directory. */
  readonly directory: string;
  /** Absolute paths of the files read. */
  readonly files: DatasetFiles;
  /** Column order the split files were read with. */
  readonly columns: ColumnOrder;
  /** Registry entry when loaded by name (citation, text-feature files). */
  readonly descriptor?: DatasetDescriptor;
  /** Entities of `entities` with no entry in the names file (their name is the key itself). */
  readonly unnamedEntities: number;
}

const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

/**
 * Load a dataset. `source` is a registry name (`'wn9-img'`, `'fb-img'`, case-insensitive) or a
 * directory holding train/valid/test files (`.txt`, `.tsv` or no extension, optionally `.gz`),
 * optional id files (`entity2id.txt`/`ent_id`, `relation2id.txt`/`rel_id`) and an optional
 * `dataset.json` (see layout.ts).
 *
 * Ids: from the id files when present (so that ids match the row order of feature matrices
 * stored in that order); otherwise assigned in first-appearance order over train, then valid,
 * then test (entities: head before tail on each line). Entities and relations are handled
 * independently (an entity id file alone fixes entity ids only).
 *
 * Errors (file:line and the key): a key not in a present id file, anywhere; without an id file,
 * an entity or relation of valid/test that never occurs in train. Plus all reader errors
 * (malformed line, empty split, missing file, bad id file). Duplicated triples are kept.
 */
export async function loadKgDataset(source: string, options: LoadKgOptions = {}): Promise<LoadedKgDataset> {
  const { directory, layout, descriptor, name } = await resolveSource(source);
  const columns = options.columns ?? layout.columns;
  const abs = (rel: string | undefined): string | undefined => (rel === undefined ? undefined : path.join(directory, rel));
  const files: DatasetFiles = {
    train: abs(layout.splits.train) as string,
    valid: abs(layout.splits.valid) as string,
    test: abs(layout.splits.test) as string,
    entityIds: abs(layout.entityIds),
    relationIds: abs(layout.relationIds),
    entityNames: abs(layout.entityNames),
  };

  const entityMap = files.entityIds ? await readIdMap(files.entityIds) : undefined;
  const relationMap = files.relationIds ? await readIdMap(files.relationIds) : undefined;
  const entities = new KeyIds('entity', entityMap, files.entityIds);
  const relations = new KeyIds('relation', relationMap, files.relationIds);

  const splits = {} as Record<SplitName, Int32Array>;
  for (const split of SPLITS) {
    const file = files[split];
    const out = new TripleBuffer();
    const grow = split === 'train';
    await forEachTriple(
      file,
      (h, r, t, line) => {
        const hi = entities.id(h, grow, file, line, split);
        const ri = relations.id(r, grow, file, line, split);
        const ti = entities.id(t, grow, file, line, split);
        out.push(hi, ri, ti);
      },
      { columns },
    );
    splits[split] = out.toArray();
  }

  let entityNames: string[] | undefined;
  let unnamedEntities = 0;
  if (files.entityNames) {
    const names = await readKeyValueFile(files.entityNames);
    entityNames = entities.keys.map((key) => {
      const name = names.get(key);
      if (name === undefined) unnamedEntities++;
      return name ?? key;
    });
  }

  return {
    name,
    entities: entities.keys,
    relations: relations.keys,
    entityIndex: entities.index,
    relationIndex: relations.index,
    train: splits.train,
    valid: splits.valid,
    test: splits.test,
    entityNames,
    directory,
    files,
    columns,
    descriptor,
    unnamedEntities,
  };
}

/** Where a source string points: registry entry or directory, and the file layout to read. */
async function resolveSource(
  source: string,
): Promise<{ directory: string; layout: DatasetLayout; descriptor?: DatasetDescriptor; name: string }> {
  if (isDatasetName(source)) {
    const descriptor = getDataset(source);
    const directory = datasetDirectory(descriptor);
    return { directory, layout: registryLayout(directory, descriptor), descriptor, name: descriptor.name };
  }
  let stat: fs.Stats | undefined;
  try {
    stat = await fs.promises.stat(source);
  } catch {
    stat = undefined;
  }
  if (stat === undefined) {
    throw new Error(
      `unknown dataset '${source}': it is neither a known dataset (${datasetNames().join(', ')}) nor an existing directory`,
    );
  }
  if (!stat.isDirectory()) {
    throw new Error(`dataset '${source}' is a file; pass a known dataset (${datasetNames().join(', ')}) or a directory with train/valid/test files`);
  }
  const directory = path.resolve(source);
  const layout = await resolveDirectoryLayout(directory);
  return { directory, layout, name: layout.name ?? source };
}

/**
 * The files of a registry dataset as spelled in its folder (`train.txt`, `train`, `train.txt.gz`,
 * ...; see data_home.ts fileCandidates). The names file falls back to `entityNamesFallback` (WN9-IMG:
 * the full ImageNet words.txt of a download); a missing names file only means no names.
 */
function registryLayout(directory: string, d: DatasetDescriptor): DatasetLayout {
  const rel = (name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const found = findDataFile(directory, name);
    return found === undefined ? undefined : path.relative(directory, found);
  };
  const split = (name: string): string => rel(name) ?? name;
  const names = rel(d.entityNames) ?? rel(d.entityNamesFallback);
  return {
    splits: { train: split(d.splits.train), valid: split(d.splits.valid), test: split(d.splits.test) },
    columns: d.columns,
    entityIds: rel(d.entityIds),
    relationIds: rel(d.relationIds),
    entityNames: names,
  };
}

/** Key -> id assignment for entities or relations, fixed by an id file or grown from train. */
class KeyIds {
  readonly keys: string[];
  readonly index: Map<string, number>;

  constructor(
    private readonly kind: 'entity' | 'relation',
    private readonly fixed: IdMap | undefined,
    private readonly idFile: string | undefined,
  ) {
    this.keys = fixed ? [...fixed.keys] : [];
    this.index = fixed ? new Map(fixed.index) : new Map();
  }

  /** Id of `key`; new keys get the next id when `grow` (train without id file), else an error. */
  id(key: string, grow: boolean, file: string, line: number, split: SplitName): number {
    const id = this.index.get(key);
    if (id !== undefined) return id;
    if (this.fixed) {
      throw new KgDataError(file, line, `unknown ${this.kind} '${key}' in the ${split} split: it is not in the ${this.kind} id file ${this.idFile}`);
    }
    if (!grow) {
      throw new KgDataError(
        file,
        line,
        `unknown ${this.kind} '${key}' in the ${split} split: it never occurs in train and there is no ${this.kind} id file to give it an id`,
      );
    }
    const next = this.keys.length;
    this.keys.push(key);
    this.index.set(key, next);
    return next;
  }
}

/** Growable flat Int32 triple store. */
class TripleBuffer {
  private data = new Int32Array(3 * 1024);
  private length = 0;

  push(h: number, r: number, t: number): void {
    if (this.length + 3 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = h;
    this.data[this.length++] = r;
    this.data[this.length++] = t;
  }

  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}
