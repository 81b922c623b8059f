/**
 * Training and evaluation of one classification run: seeded and deterministic (the same config
 * and seed give the same numbers on the same backend), minibatch Adam, early stopping on dev
 * accuracy with the best model restored, test accuracy and macro-F1 at each noise level eps of
 * QMF's protocol, a clear error on a non-finite loss, the result JSON written atomically.
 */
import { pickGiven } from '../../options';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createEngine } from '../../dense/select';
import type { DenseHead } from '../../dense/head';
import { currentTensorEngine, setTensorEngine } from '../../dense/tf_loss';
import { ensureBowVocabulary } from '../../../cls-data/bow';
import { isClsDatasetName, loadClsDataset, loadClsDirectory } from '../../../cls-data/registry';
import type { ClsDataset } from '../../../cls-data/sample';
import { clsModelSpec, createPlugins, type ClsModelSpec } from '../../../baselines/classification/registry';
import { writeJsonAtomic } from '../../atomic';
import { activeBackend } from '../../backend';
import { DenseOptimizer, ParamStore, lossAndGrads, type ParamTensors } from '../../params';
import { Progress } from '../../progress';
import { Rng } from '../../rng';
import { clsConfig, defaultVariant, pluginOptionsOf, type ClsConfig } from './config';
import { noisySamples, orderModalities, splitInputs, WordIndex } from '../../../cls-data/split_inputs';
import { CnnImageEncoder, EmbeddingBagEncoder, FeatureEncoder } from '../../classification/encoders';
import type { ClsModel, ClsPlugin, EncodedBatch, FusionOutput, ModalityEncoder, NestedModel, PluginFeatures, SplitInputs, StepContext, TrainerHost } from '../../classification/types';

/** Thrown when the training loss becomes NaN or infinite. */
export class ClsTrainingDivergedError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly value: number, what: string) {
    super(
      `training diverged: the loss of ${what} is ${value} at epoch ${epoch + 1}, step ${step + 1}; ` +
        'lower --lr, the IMML weights (--gamma1/--gamma2) or the batch size, and check the input features for NaN',
    );
    this.name = 'ClsTrainingDivergedError';
  }
}

/** A dataset prepared for training: encoder inputs of train/dev/test (clean), noisy tests on demand. */
export class ClsData {
  private readonly noisy = new Map<string, SplitInputs>();
  readonly train: SplitInputs;
  readonly dev: SplitInputs;
  readonly test: SplitInputs;

  constructor(
    readonly dataset: ClsDataset,
    readonly words: WordIndex | undefined,
    /** All modalities, predominant first. */
    readonly modalities: string[],
    private readonly imageSize: number,
  ) {
    const opts = { words, imageSize };
    this.train = splitInputs('train', dataset.train, modalities, opts);
    this.dev = splitInputs('dev', dataset.dev, modalities, opts);
    this.test = splitInputs('test', dataset.test, modalities, opts);
  }

  get numClasses(): number {
    return this.dataset.labels.length;
  }

  /** The test split with noise eps drawn from the run seed (memoised). */
  testAt(eps: number, seed: number): SplitInputs {
    if (eps === 0) return this.test;
    const key = `${seed}/${eps}`;
    let s = this.noisy.get(key);
    if (!s) {
      const samples = noisySamples(this.dataset.test, this.modalities, eps, new Rng(seed).derive(`test-noise-${eps}`));
      s = splitInputs(`test@eps=${eps}`, samples, this.modalities, { words: this.words, imageSize: this.imageSize });
      this.noisy.set(key, s);
    }
    return s;
  }
}

/** Load a dataset and prepare its inputs (registry name or directory; user features attached). */
export async function prepareClsData(config: Pick<ClsConfig, 'dataset' | 'variant' | 'features' | 'predominant' | 'imageSize'>): Promise<ClsData> {
  const features = Object.keys(config.features).length > 0 ? config.features : undefined;
  let ds: ClsDataset;
  let vocabFrom: string;
  if (isClsDatasetName(config.dataset)) {
    ds = await loadClsDataset(config.dataset, { variant: config.variant ?? defaultVariant(config.dataset), features });
    vocabFrom = config.dataset;
  } else {
    ds = await loadClsDirectory(config.dataset, { features });
    vocabFrom = config.dataset;
  }
  const modalities = orderModalities(ds, config.predominant);
  const needsWords = modalities.some((m) => ds.train[0]?.modalities[m]?.kind === 'text');
  let words: WordIndex | undefined;
  if (needsWords) words = new WordIndex(await ensureBowVocabulary(vocabFrom));
  return new ClsData(ds, words, modalities, config.imageSize);
}

/** Accuracy and macro-F1 (mean over the classes present in the labels or the predictions). */
export function classificationMetrics(labels: Int32Array, predictions: Int32Array, numClasses: number): { accuracy: number; macroF1: number } {
  const tp = new Float64Array(numClasses);
  const fp = new Float64Array(numClasses);
  const fn = new Float64Array(numClasses);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = predictions[i];
    if (y === p) {
      correct++;
      tp[y]++;
    } else {
      fp[p]++;
      fn[y]++;
    }
  }
  let f1 = 0;
  let classes = 0;
  for (let k = 0; k < numClasses; k++) {
    if (tp[k] + fp[k] + fn[k] === 0) continue;
    classes++;
    f1 += (2 * tp[k]) / (2 * tp[k] + fp[k] + fn[k]);
  }
  return { accuracy: labels.length > 0 ? correct / labels.length : NaN, macroF1: classes > 0 ? f1 / classes : NaN };
}

/** Test metrics at one noise level. */
export interface NoiseResult {
  eps: number;
  accuracy: number;
  macroF1: number;
}

/** Everything a run reports (also its JSON file). */
export interface ClsResult {
  dataset: string;
  variant?: string;
  model: string;
  modelLabel: string;
  plugins: string[];
  seed: number;
  /** Row label, e.g. "QMF + IMML". */
  label: string;
  modalities: { name: string; encoder: string; dim: number }[];
  /** True when the model expects pre-trained encoder features and ran on a substitute. */
  substitute: boolean;
  numClasses: number;
  sizes: { train: number; dev: number; test: number };
  epochsRun: number;
  bestEpoch: number;
  devAccuracy: number;
  test: NoiseResult[];
  /** Mean wall seconds of one training epoch (without evaluation). */
  secondsPerEpoch: number;
  totalSeconds: number;
  history: { epoch: number; loss: number; devAccuracy: number; seconds: number }[];
  pluginReport: Record<string, number | string>;
  backend: string;
  config: ClsConfig;
  notes: string[];
}

interface TrainerOptions {
  /** Model spec to use instead of config.model (nested models, e.g. UMT's teachers). */
  spec?: ClsModelSpec;
  /** Dataset modalities to use instead of the spec's choice. */
  modalities?: string[];
  plugins?: string[];
  /** Label of the run's random stream. */
  stream?: string;
  log?: (m: string) => void;
}

/** One model + encoders + plug-ins with its training loop. */
export class ClsTrainer {
  readonly store = new ParamStore();
  readonly spec: ClsModelSpec;
  readonly modalities: string[];
  readonly encoders: ModalityEncoder[];
  readonly model: ClsModel;
  readonly plugins: ClsPlugin[];
  readonly rng: Rng;
  private readonly weigher?: ClsPlugin;
  private readonly log: (m: string) => void;

  constructor(readonly config: ClsConfig, readonly data: ClsData, opts: TrainerOptions = {}) {
    this.log = opts.log ?? (() => undefined);
    this.rng = new Rng(config.seed).derive(opts.stream ?? 'main');
    this.spec = opts.spec ?? clsModelSpec(config.model);
    const all = data.modalities;
    this.modalities = opts.modalities ?? (this.spec.uses === 'predominant' ? [all[0]] : this.spec.uses === 'auxiliary' ? [all[1] ?? all[0]] : [...all]);
    if (this.spec.uses === 'auxiliary' && all.length < 2) throw new Error(`${this.spec.label} needs an auxiliary modality; dataset ${data.dataset.name} has only ${all.join(', ')}`);
    if (this.modalities.length < this.spec.minModalities) {
      throw new Error(`${this.spec.label} needs at least ${this.spec.minModalities} modalities; dataset ${data.dataset.name} has ${all.join(', ')}`);
    }
    this.encoders = this.modalities.map((m) => this.buildEncoder(m));
    this.model = this.spec.create({
      dims: this.encoders.map((e) => e.dim),
      tokenDims: this.encoders.map((e) => e.tokenDim),
      modalities: this.modalities,
      numClasses: data.numClasses,
      trainSize: data.train.size,
      store: this.store,
      rng: this.rng.derive('model'),
      options: pickGiven(this.spec.options ?? {}, config),
    });
    this.plugins = createPlugins(opts.plugins ?? config.plugins, {
      dims: this.encoders.map((e) => e.dim),
      numClasses: data.numClasses,
      store: this.store,
      rng: this.rng.derive('plugins'),
    }, (name) => pluginOptionsOf(config, name));
    const weighers = this.plugins.filter((p) => p.weigh);
    if (weighers.length > 1) throw new Error(`only one plug-in may weigh the features (${weighers.map((p) => p.name).join(', ')})`);
    this.weigher = weighers[0];
  }

  private buildEncoder(modality: string): ModalityEncoder {
    const c = this.config;
    const col = this.data.train.columns[modality];
    const common = { modality, mode: this.spec.mode, hidden: c.hidden, store: this.store, rng: this.rng.derive(`enc-${modality}`) };
    if (col.kind === 'tokens') {
      const w = this.data.words!;
      return new EmbeddingBagEncoder({
        ...common,
        vectors: w.initialVectors(),
        dim: w.vocab.dim,
        trainable: c.textEncoder === 'bow',
        pooling: c.pooling,
        // token slots: the longest training text, capped at maxTokens (HFM's 5 attribute words -> 5)
        maxTokens: Math.max(1, Math.min(c.maxTokens, col.ids.reduce((m, ids) => Math.max(m, ids.length), 0))),
        lr: c.embLr > 0 ? c.embLr : c.lr,
        source: 'GloVe-100 via wink',
      });
    }
    if (col.kind === 'features') return new FeatureEncoder({ ...common, inputDim: col.dim, source: path.basename(col.source) });
    return new CnnImageEncoder({ ...common, outDim: c.cnnDim });
  }

  /** True when the model is defined on pre-trained features but some modality is not features. */
  get substitute(): boolean {
    return Boolean(this.spec.expectsFeatures) && this.encoders.some((e) => !(e instanceof FeatureEncoder));
  }

  private batches(split: SplitInputs, rows: Int32Array, training: boolean): EncodedBatch[] {
    return this.encoders.map((e) => e.batch(split, rows, training));
  }

  private features(batches: EncodedBatch[], diff: tf.Tensor[], p: ParamTensors): { raw: tf.Tensor2D[]; fused: tf.Tensor2D[] } {
    let k = 0;
    const raw = batches.map((b) => {
      const n = b.diff.length;
      const f = b.features(diff.slice(k, k + n), p);
      k += n;
      return f;
    });
    return { raw, fused: this.weigher ? this.weigher.weigh!(raw, p) : raw };
  }

  private ctx(epoch: number, training: boolean, rows: Int32Array, split: SplitInputs): StepContext {
    return { epoch, training, rows, labels: Int32Array.from(rows, (r) => split.labels[r]), numClasses: this.data.numClasses, sink: new Map() };
  }

  /** Run `f` over `split` in evaluation chunks with the current parameters (no gradients). */
  private forEachChunk(split: SplitInputs, rows: Int32Array, f: (batches: EncodedBatch[], p: ParamTensors, chunk: Int32Array, offset: number) => void): void {
    const p = this.store.tensors();
    try {
      for (let off = 0; off < rows.length; off += this.config.evalBatchSize) {
        const chunk = rows.subarray(off, Math.min(rows.length, off + this.config.evalBatchSize));
        const batches = this.batches(split, chunk, false);
        try {
          tf.tidy(() => f(batches, p, chunk, off));
        } finally {
          batches.forEach((b) => b.dispose?.());
        }
      }
    } finally {
      tf.dispose(Object.values(p));
    }
  }

  /** Predicted classes of every sample of `split`. */
  predict(split: SplitInputs): Int32Array {
    const rows = Int32Array.from({ length: split.size }, (_, i) => i);
    const pred = new Int32Array(split.size);
    this.forEachChunk(split, rows, (batches, p, chunk, off) => {
      const { fused } = this.features(batches, [], p);
      const out = this.model.fuse(fused, p, this.ctx(0, false, chunk, split));
      const am = tf.argMax(out.scores, 1).dataSync();
      pred.set(am, off);
    });
    return pred;
  }

  evaluate(split: SplitInputs): { accuracy: number; macroF1: number } {
    return classificationMetrics(split.labels, this.predict(split), this.data.numClasses);
  }

  /** Encoder outputs (`raw`) or fusion inputs (`fused`) of `rows`, per modality [rows * D_m]. */
  hostFeatures(split: SplitInputs, rows: Int32Array, which: 'raw' | 'fused'): Float32Array[] {
    const out = this.encoders.map((e) => new Float32Array(rows.length * e.dim));
    this.forEachChunk(split, rows, (batches, p, _chunk, off) => {
      const f = this.features(batches, [], p)[which];
      f.forEach((t, m) => out[m].set(t.dataSync() as Float32Array, off * this.encoders[m].dim));
    });
    return out;
  }

  private snapshot(): { params: Map<string, Float32Array>; encoders: (Float32Array[] | undefined)[] } {
    const params = new Map(this.store.names().map((n) => [n, this.store.get(n).data.slice()]));
    return { params, encoders: this.encoders.map((e) => e.snapshot?.()) };
  }

  private restore(s: ReturnType<ClsTrainer['snapshot']>): void {
    for (const [n, v] of s.params) this.store.get(n).data.set(v);
    this.encoders.forEach((e, i) => {
      const st = s.encoders[i];
      if (st) e.restore?.(st);
    });
  }

  private host(opt: DenseOptimizer): TrainerHost {
    const c = this.config;
    return {
      train: this.data.train,
      numClasses: this.data.numClasses,
      modalities: this.modalities,
      mode: this.spec.mode,
      settings: { ...c, variant: c.variant ?? defaultVariant(c.dataset) },
      fusedFeatures: (split, rows) => this.hostFeatures(split, rows, 'fused'),
      trainNested: (model) => this.trainNested(model),
      rng: this.rng.derive('host'),
      log: this.log,
      offloadParam: (name) => opt.offload(name),
    };
  }

  /** TrainerHost.trainNested: a trainer of the same config on `model.modalities`, without plug-ins. */
  private async trainNested(model: NestedModel): Promise<Float32Array[]> {
    const spec: ClsModelSpec = { label: model.label, uses: 'all', mode: this.spec.mode, minModalities: 1, create: model.create };
    const nested = new ClsTrainer(this.config, this.data, { spec, modalities: [...model.modalities], plugins: [], stream: model.stream, log: this.log });
    await nested.fit();
    const rows = Int32Array.from({ length: this.data.train.size }, (_, i) => i);
    return nested.hostFeatures(this.data.train, rows, 'raw');
  }

  /** One optimisation step on `rows` of the training split; returns the loss. */
  private step(opt: DenseOptimizer, epoch: number, stepIndex: number, rows: Int32Array): number {
    const split = this.data.train;
    const ctx = this.ctx(epoch, true, rows, split);
    for (const p of this.plugins) p.beforeStep?.(ctx);
    const batches = this.batches(split, rows, true);
    try {
      const diff = batches.flatMap((b) => b.diff);
      const { loss, inputGrads, paramGrads } = lossAndGrads(this.store, diff, (ins, p) => {
        const f = this.features(batches, ins, p);
        const { out, extra } = this.fuseWithExtraRows(f, p, ctx);
        let total = this.model.loss(out, p, ctx);
        this.plugins.forEach((pl, i) => (total = tf.add(total, pl.loss(f, out, this.model, p, ctx, extra[i])) as tf.Scalar));
        return total;
      }, (name) => opt.begunElsewhere(name));
      if (!Number.isFinite(loss)) throw new ClsTrainingDivergedError(epoch, stepIndex, loss, this.label());
      opt.step(paramGrads);
      let k = 0;
      for (const b of batches) {
        const n = b.diff.length;
        if (n > 0) b.backward?.(inputGrads.slice(k, k + n));
        k += n;
      }
      for (const e of this.encoders) e.step?.();
      this.model.afterStep?.(ctx);
      return loss;
    } finally {
      batches.forEach((b) => b.dispose?.());
    }
  }

  /**
   * The model's output on the batch and on the rows each plug-in appends (`appendRows`), from one
   * fusion call on all of them (models are row-wise, see ClsModel.fuse): IMML's L_beta then costs a
   * few more rows of the same ops instead of a second pass of small ones.
   */
  private fuseWithExtraRows(f: PluginFeatures, p: ParamTensors, ctx: StepContext): { out: FusionOutput; extra: (FusionOutput | undefined)[] } {
    const B = f.fused[0].shape[0];
    let stacked = f.fused;
    const counts = this.plugins.map((pl) => {
      const before = stacked[0].shape[0];
      const appended = pl.appendRows?.(f, stacked, p, ctx);
      if (!appended) return 0;
      if (appended.length !== stacked.length || appended.some((t, m) => t.shape[1] !== stacked[m].shape[1] || t.shape[0] !== appended[0].shape[0]) || appended[0].shape[0] < before) {
        throw new Error(`plug-in ${pl.name}: appendRows must return the ${stacked.length} stacked inputs with rows appended, of the same widths`);
      }
      stacked = appended;
      return appended[0].shape[0] - before;
    });
    const all = this.model.fuse(stacked, p, ctx);
    if (stacked === f.fused) return { out: all, extra: counts.map(() => undefined) };
    let start = B;
    const extra = counts.map((rows) => {
      if (rows === 0) return undefined;
      const o = rowsOf(all, start, rows);
      start += rows;
      return o;
    });
    return { out: rowsOf(all, 0, B), extra };
  }

  label(): string {
    return [this.spec.label, ...this.plugins.map((p) => p.label)].join(' + ');
  }

  /** Train with early stopping on dev accuracy; the best model is restored at the end. */
  async fit(): Promise<{ epochsRun: number; bestEpoch: number; devAccuracy: number; history: ClsResult['history']; secondsPerEpoch: number }> {
    const c = this.config;
    // IMML's fused L_mdke runs its dense products on ORT CPU where it loads (else tfjs), on one
    // thread: at batch 128 they take microseconds, and a second pool thread that waits for a busy
    // core cost 2-7x in our measurements. A nested fit (e.g. a teacher's) keeps the engine it finds.
    if (currentTensorEngine()) return this.fitWithEngine();
    let engine: DenseHead;
    try {
      engine = createEngine('ort-cpu', 1);
    } catch (err) {
      this.log(`dense engine: onnxruntime-node unavailable (${(err as Error).message.split('\n')[0]}); IMML's products use tfjs`);
      return this.fitWithEngine();
    }
    setTensorEngine(engine);
    try {
      return await this.fitWithEngine();
    } finally {
      setTensorEngine(undefined);
      engine.dispose();
    }
  }

  private async fitWithEngine(): Promise<{ epochsRun: number; bestEpoch: number; devAccuracy: number; history: ClsResult['history']; secondsPerEpoch: number }> {
    const c = this.config;
    const opt = new DenseOptimizer(this.store, 'adam', c.lr);
    const host = this.host(opt);
    for (const p of this.plugins) await p.beforeTraining?.(host);
    const shuffle = this.rng.derive('shuffle');
    const n = this.data.train.size;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const history: ClsResult['history'] = [];
    let best = { acc: -Infinity, epoch: -1, state: this.snapshot() };
    let trainSeconds = 0;
    let epoch = 0;
    for (; epoch < c.epochs; epoch++) {
      shuffle.shuffle(order);
      const steps = Math.ceil(n / c.batchSize);
      const bar = new Progress(`${this.label()} epoch ${epoch + 1}/${c.epochs}`, steps, !c.quiet);
      const t0 = Date.now();
      let lossSum = 0;
      for (let s = 0; s < steps; s++) {
        lossSum += this.step(opt, epoch, s, order.slice(s * c.batchSize, Math.min(n, (s + 1) * c.batchSize)));
        bar.update(s + 1, `loss ${(lossSum / (s + 1)).toFixed(4)}`);
      }
      bar.stop();
      const seconds = (Date.now() - t0) / 1000;
      trainSeconds += seconds;
      for (const p of this.plugins) p.afterEpoch?.(host, epoch);
      const dev = this.evaluate(this.data.dev).accuracy;
      history.push({ epoch: epoch + 1, loss: lossSum / steps, devAccuracy: dev, seconds });
      this.log(`${this.label()} epoch ${epoch + 1}: loss ${(lossSum / steps).toFixed(4)}, dev acc ${dev.toFixed(4)} (${seconds.toFixed(1)} s)`);
      if (dev > best.acc) best = { acc: dev, epoch: epoch + 1, state: this.snapshot() };
      else if (c.patience > 0 && epoch + 1 - best.epoch >= c.patience) {
        epoch++;
        break;
      }
    }
    this.restore(best.state);
    return { epochsRun: epoch, bestEpoch: best.epoch, devAccuracy: best.acc, history, secondsPerEpoch: history.length > 0 ? trainSeconds / history.length : NaN };
  }
}

/** Rows [start, start + size) of a row-wise fusion output; each part is sliced when first read. */
function rowsOf(out: FusionOutput, start: number, size: number): FusionOutput {
  const parts: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(out.parts)) {
    let sliced: tf.Tensor | undefined;
    Object.defineProperty(parts, k, { enumerable: true, get: () => (sliced ??= tf.slice(t, start, size)) });
  }
  return { scores: tf.slice(out.scores, start, size) as tf.Tensor2D, parts };
}

/** Train and evaluate one configuration; writes `config.out` (JSON) when set. */
export async function runClassification(over: Partial<ClsConfig>, opts: { data?: ClsData; log?: (m: string) => void } = {}): Promise<ClsResult> {
  const config = clsConfig(over);
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const data = opts.data ?? (await prepareClsData(config));
  const trainer = new ClsTrainer(config, data, { log });
  const fit = await trainer.fit();
  const test = config.noise.map((eps) => ({ eps, ...trainer.evaluate(data.testAt(eps, config.seed)) }));
  const pluginReport: Record<string, number | string> = {};
  for (const p of trainer.plugins) Object.assign(pluginReport, p.report?.() ?? {});
  const result: ClsResult = {
    dataset: config.dataset,
    variant: config.variant ?? defaultVariant(config.dataset),
    model: trainer.spec.label === config.model ? config.model : clsModelSpec(config.model).key,
    modelLabel: trainer.spec.label,
    plugins: trainer.plugins.map((p) => p.name),
    seed: config.seed,
    label: trainer.label(),
    modalities: trainer.encoders.map((e) => ({ name: e.modality, encoder: e.description, dim: e.dim })),
    substitute: trainer.substitute,
    numClasses: data.numClasses,
    sizes: { train: data.train.size, dev: data.dev.size, test: data.test.size },
    epochsRun: fit.epochsRun,
    bestEpoch: fit.bestEpoch,
    devAccuracy: fit.devAccuracy,
    test,
    secondsPerEpoch: fit.secondsPerEpoch,
    totalSeconds: (Date.now() - t0) / 1000,
    history: fit.history,
    pluginReport,
    backend: activeBackend() ?? tf.getBackend(),
    config,
    notes: data.dataset.notes,
  };
  if (config.out) writeJsonAtomic(config.out, result);
  return result;
}
