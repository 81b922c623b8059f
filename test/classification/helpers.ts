import { BowVocabulary } from '../../cls-data/bow';
import type { ClsDataset, ModalityValue, Sample } from '../../cls-data/sample';
import { Rng } from '../../src/rng';
import { selectBackend } from '../../src/backend';
import { clsConfig, type ClsConfig } from '../../src/app/classification/config';
import { WordIndex } from '../../cls-data/split_inputs';
import { ClsData } from '../../src/app/classification/train';

export async function useWasm(): Promise<void> {
  await selectBackend('wasm');
}

/** 40 words, 8-d random vectors: w0..w19 signal class 0 / class 1 by parity of the index band. */
export function tinyVocabulary(seed = 7): BowVocabulary {
  const rng = new Rng(seed);
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const dim = 8;
  const vectors = new Float32Array(words.length * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = rng.normal() * 0.5;
  return new BowVocabulary(words, dim, vectors, 'synthetic');
}

export interface TinyOptions {
  n?: number;
  /** Attach a second text modality `attributes` (weaker signal). */
  attributes?: boolean;
  /** Attach `image` pixels (8x8) whose brightness encodes the class. */
  pixels?: boolean;
  /** Attach `feat` features (4-d) encoding the class. */
  features?: boolean;
  seed?: number;
}

/**
 * A separable toy dataset: class k texts use words w{10k..10k+9} (k = 0, 1) plus shared noise
 * words w{20..39}; attributes use the same bands with 30% label noise.
 */
export function tinyDataset(o: TinyOptions = {}): ClsDataset {
  const rng = new Rng(o.seed ?? 3);
  const make = (count: number, split: string): Sample[] =>
    Array.from({ length: count }, (_, i) => {
      const label = i % 2;
      const words = (band: number) => Array.from({ length: 4 }, () => `w${band * 10 + rng.int(10)}`).concat([`w${20 + rng.int(20)}`]);
      const mods: Record<string, ModalityValue> = { text: { kind: 'text', text: words(label).join(' ') } };
      if (o.attributes) {
        const band = rng.next() < 0.3 ? 1 - label : label;
        const w = words(band);
        mods.attributes = { kind: 'text', text: w.join(' '), words: w };
      }
      if (o.pixels) {
        const data = new Float32Array(8 * 8 * 3);
        for (let j = 0; j < data.length; j++) data[j] = Math.max(0, Math.min(255, 60 + 120 * label + 40 * rng.normal()));
        mods.image = { kind: 'pixels', image: { width: 8, height: 8, data } };
      }
      if (o.features) {
        const f = new Float32Array(4);
        for (let j = 0; j < 4; j++) f[j] = (label ? 1 : -1) * (j % 2 ? 1 : 0.5) + 0.3 * rng.normal();
        mods.feat = { kind: 'features', data: f, source: 'synthetic' };
      }
      return { id: `${split}-${i}`, label, text: (mods.text as { text: string }).text, modalities: mods };
    });
  const n = o.n ?? 96;
  const train = make(n, 'train');
  const dev = make(32, 'dev');
  const test = make(32, 'test');
  const modalities = Object.keys(train[0].modalities);
  return { name: 'tiny', labels: ['a', 'b'], train, dev, test, extraSplits: {}, modalities, notes: ['synthetic'] };
}

/** ClsData of {@link tinyDataset} with `predominant` first. */
export function tinyData(o: TinyOptions = {}, predominant = 'text'): ClsData {
  const ds = tinyDataset(o);
  const mods = [predominant, ...ds.modalities.filter((m) => m !== predominant)];
  return new ClsData(ds, new WordIndex(tinyVocabulary()), mods, 8);
}

/** A small config for the toy data. */
export function tinyConfig(over: Partial<ClsConfig> = {}): ClsConfig {
  return clsConfig({ dataset: 'tiny', batchSize: 16, epochs: 3, patience: 0, lr: 1e-2, hidden: 16, evalBatchSize: 64, maxTokens: 6, quiet: true, mmbtDim: 16, mmbtHeads: 2, ...over, imml: { ...clsConfig().imml, projectionDim: 16, ...(over.imml ?? {}) } });
}
