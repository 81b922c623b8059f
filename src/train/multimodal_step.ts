/**
 * What the multimodal training steps (multimodal_ns.ts, multimodal_1vsall.ts,
 * fused_multimodal_ns.ts) share: the modality inputs, the IMML-weighted encoding, the ranking
 * representation of every entity, and the parts every multimodal step is built from.
 */
import * as tf from '@tensorflow/tfjs';
import type { MultimodalKgModel } from '../multimodal';
import type { Scorer } from '../scorer';
import type { ParamTensors, DenseOptimizer } from '../params';
import type { SparseOptimizer } from '../optim';
import type { DenseHead } from '../dense/head';
import type { RepresentationPlugin } from '../plugin';
import type { KgTables } from './model';
import { tableRows } from '../rows';

/**
 * The auxiliary-modality inputs of a multimodal model: per modality the [n, d_m] feature matrix
 * and [n, 1] mask, as typed arrays (for gathering batch rows) and as tensors kept alive for the
 * whole run (the all-entity forward of 1-vs-all uses them every step).
 */
export class ModalityInputs {
  readonly features: tf.Tensor2D[];
  readonly masks: tf.Tensor2D[];

  constructor(readonly model: MultimodalKgModel) {
    this.features = model.modalities.map((m) => tf.tensor2d(m.data, [m.rows, m.dim]));
    this.masks = model.modalities.map((m) => tf.tensor2d(Float32Array.from(m.mask), [m.rows, 1]));
  }

  /** Feature rows and masks of the given entities, as new tensors. */
  rows(ids: Int32Array): { features: tf.Tensor2D[]; masks: tf.Tensor2D[] } {
    const features = this.model.modalities.map((m) => tf.tensor2d(tableRows(m.data, m.dim, ids), [ids.length, m.dim]));
    return { features, masks: this.masksOf(ids) };
  }

  /** [k, 1] masks of the given entities, one per modality, as new tensors. */
  masksOf(ids: Int32Array): tf.Tensor2D[] {
    return this.model.modalities.map((m) => tf.tensor2d(Float32Array.from(ids, (e) => m.mask[e]), [ids.length, 1]));
  }

  /** 1 for the entities that have every auxiliary modality (IMML's L_mdke needs all of them). */
  complete(ids: Int32Array): Uint8Array {
    const out = new Uint8Array(ids.length).fill(1);
    for (const m of this.model.modalities) for (let i = 0; i < ids.length; i++) if (!m.mask[ids[i]]) out[i] = 0;
    return out;
  }

  dispose(): void {
    tf.dispose([...this.features, ...this.masks]);
  }
}

// Re-exported for fused_multimodal_ns.ts, which imports it from here.
export { tableRows } from '../rows';

/** h^m of a model, IMML-weighted when the plug-in is on (Algorithm 1, line 2). */
export function encodeWeighted(model: MultimodalKgModel, imml: RepresentationPlugin | undefined, structural: tf.Tensor2D, features: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[] {
  const hs = model.encode(structural, features, p);
  return imml ? imml.weigh(hs, p) : hs;
}

/**
 * The ranking representation of every entity ([n, scorer.entityWidth]), computed in chunks with
 * the current parameters; what evaluation ranks against and what `export` writes.
 */
export function representAll(model: MultimodalKgModel, structural: Float32Array, numEntities: number, imml?: RepresentationPlugin, chunk = 2048): Float32Array {
  const W = model.scorer.entityWidth;
  const Ws = model.structuralWidth;
  const out = new Float32Array(numEntities * W);
  const p = model.params.tensors();
  const inputs = new ModalityInputs(model);
  try {
    for (let from = 0; from < numEntities; from += chunk) {
      const to = Math.min(numEntities, from + chunk);
      const ids = new Int32Array(to - from).map((_, i) => from + i);
      const rep = tf.tidy(() => {
        const { features, masks } = inputs.rows(ids);
        const s = tf.tensor2d(structural.subarray(from * Ws, to * Ws), [to - from, Ws]);
        return model.fuse(encodeWeighted(model, imml, s, features, p), masks, p);
      });
      out.set(rep.dataSync() as Float32Array, from * W);
      rep.dispose();
    }
  } finally {
    inputs.dispose();
    tf.dispose(Object.values(p));
  }
  return out;
}

/**
 * What ranking uses for a multimodal model: its scorer and every entity's ranking representation,
 * or its ranking view's (MultimodalKgModel.ranking) scorer and table.
 */
export function rankingTable(model: MultimodalKgModel, structural: Float32Array, numEntities: number, imml?: RepresentationPlugin): { scorer: Scorer; entities: Float32Array } {
  const rep = representAll(model, structural, numEntities, imml);
  return { scorer: rankingScorer(model), entities: model.ranking ? model.ranking.table(rep, numEntities) : rep };
}

/** The scorer ranking uses for a multimodal model: its ranking view's, else its own. */
export function rankingScorer(model: MultimodalKgModel): Scorer {
  return model.ranking?.scorer ?? model.scorer;
}

/** What both multimodal training steps share. */
export interface MultimodalStepParts {
  model: MultimodalKgModel;
  /** Structural entity table (width model.structuralWidth) and relation table. */
  tables: KgTables;
  imml?: RepresentationPlugin;
  entityOptimizer: SparseOptimizer;
  relationOptimizer: SparseOptimizer;
  paramOptimizer: DenseOptimizer;
  /** N3 on the fused factors of each query / triple (Lacroix et al. 2018); 0 = off. */
  n3Weight: number;
  /** Weight of the model's own auxiliary loss. */
  auxWeight: number;
  /** Representation rows are complex [re | im] (N3 on complex moduli). */
  complexRows: boolean;
  /** Engine of the all-entity head (1-vs-all only). */
  head?: DenseHead;
}
