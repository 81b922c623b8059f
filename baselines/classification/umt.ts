import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Schema } from '../../src/options';
import { writeFileAtomic, writeJsonAtomic } from '../../src/atomic';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, ClsPlugin, FusionOutput, PluginFeatures, StepContext, TrainerHost } from '../../src/classification/types';
import { UniModal } from './unimodal';

/** Per-process memo of teacher features, by the hash of what determines them. */
const TEACHER_MEMO = new Map<string, Float32Array>();

/**
 * The teacher of modality `modality`: a uni-modal model (the run's encoder configuration and a
 * linear classifier) trained by the host's training loop; its encoder outputs of every training
 * sample. Memoised per process and, with the `teacherCache` setting, on disk under a hash of the
 * settings that determine it (a .f32 file and its key as JSON beside it).
 */
export async function teacherFeatures(host: TrainerHost, modality: string, dim: number): Promise<Float32Array> {
  const c = host.settings as Record<string, unknown> & { features?: Record<string, string>; teacherCache?: string };
  const key = JSON.stringify({
    v: 1, dataset: c.dataset, variant: c.variant, modality, mode: host.mode, seed: c.seed, epochs: c.epochs, patience: c.patience,
    batchSize: c.batchSize, lr: c.lr, embLr: c.embLr, textEncoder: c.textEncoder, pooling: c.pooling, hidden: c.hidden, maxTokens: c.maxTokens, features: c.features?.[modality] ?? '',
  });
  const hash = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  const memo = TEACHER_MEMO.get(hash);
  if (memo) return memo;
  const file = c.teacherCache ? path.join(c.teacherCache, `teacher-${hash}.f32`) : '';
  if (file && fs.existsSync(file)) {
    const buf = fs.readFileSync(file);
    const f = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (f.length === host.train.size * dim) {
      TEACHER_MEMO.set(hash, f);
      return f;
    }
  }
  const label = `teacher(${modality})`;
  const [f] = await host.trainNested({ label, modalities: [modality], stream: `umt-teacher-${modality}`, create: (ctx) => new UniModal('teacher', label, ctx) });
  TEACHER_MEMO.set(hash, f);
  if (file) {
    writeFileAtomic(file, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    writeJsonAtomic(`${file}.json`, JSON.parse(key));
  }
  return f;
}

/** UMT's options: the distillation weight (our reading of the paper: 1) and where teachers are cached. */
export const UMT_OPTIONS: Schema<{ umtScale: number; teacherCache: string }> = {
  umtScale: { type: 'number', default: 1, min: 0, help: 'UMT: weight of the feature distillation' },
  teacherCache: { type: 'string', default: '', help: "UMT: cache the teachers' features here ('' = none)" },
};

/**
 * Uni-Modal Teacher (UMT; Du, Teng, Li, Lu, Chen, Zhao, Cheng, Huang, "On Uni-Modal Feature
 * Learning in Supervised Multi-Modal Learning", ICML 2023 [23]), as a plug-in on any model:
 * first one uni-modal model per modality is trained (the same encoder configuration plus a
 * linear classifier, cross-entropy, early stopping on dev); its encoder is then frozen and its
 * features h_T^m of every training sample are fixed. The multimodal student adds
 * scale * sum_m MSE(h^m, h_T^m) (mean over the elements) to its own loss (for L-f: CE of the
 * fused logits, as the paper; with TMC/QMF their losses).
 *
 * The paper distils from uni-modal teachers that are often pre-trained (the IMML paper notes
 * CLIP); ours are trained from scratch on the same data, and the official code could not be
 * read here, so the distillation target (the encoder output, before any IMML weighting) and the
 * default scale 1 are our reading of the paper.
 */
export class UMTPlugin implements ClsPlugin {
  readonly name = 'umt';
  readonly label = 'UMT';
  /** Frozen teacher features per modality, [trainSize * D_m] (read-only after beforeTraining). */
  teacher: Float32Array[] = [];
  private batchTargets: Float32Array[] = [];
  private batchRows = 0;

  constructor(readonly dims: readonly number[], readonly scale = UMT_OPTIONS.umtScale.default) {}

  async beforeTraining(host: TrainerHost): Promise<void> {
    this.teacher = [];
    for (let m = 0; m < this.dims.length; m++) {
      host.log(`umt: training the uni-modal teacher of '${host.modalities[m]}'`);
      const f = await teacherFeatures(host, host.modalities[m], this.dims[m]);
      if (f.length !== host.train.size * this.dims[m]) throw new Error(`umt: teacher of modality ${m} gave ${f.length} floats, expected ${host.train.size}*${this.dims[m]}`);
      this.teacher.push(f);
    }
  }

  beforeStep(ctx: StepContext): void {
    if (!ctx.training) return;
    this.batchRows = ctx.rows.length;
    this.batchTargets = this.teacher.map((t, m) => {
      const D = this.dims[m];
      const out = new Float32Array(ctx.rows.length * D);
      for (let i = 0; i < ctx.rows.length; i++) out.set(t.subarray(ctx.rows[i] * D, ctx.rows[i] * D + D), i * D);
      return out;
    });
  }

  loss(f: PluginFeatures, _out: FusionOutput, _model: ClsModel, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    if (!ctx.training || this.teacher.length === 0) return tf.scalar(0);
    if (this.batchRows !== ctx.rows.length) throw new Error('umt: beforeStep was not called for this batch');
    const terms = f.raw.map((h, m) => tf.mean(tf.squaredDifference(h, tf.tensor2d(this.batchTargets[m], [ctx.rows.length, this.dims[m]]))) as tf.Scalar);
    return tf.mul(this.scale, tf.addN(terms)) as tf.Scalar;
  }
}
