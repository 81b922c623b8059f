/**
 * Per-entity (or per-sample) features of one auxiliary modality, as a dense matrix in id order
 * with a mask for the rows that lack the modality. Loaders live in kg-data/features.ts.
 */
export interface ModalityFeatures {
  /** `image` or `text` (or any user name, e.g. `audio`). */
  readonly modality: string;
  /** Where the features came from (file path or derivation), printed in reports and metrics.json. */
  readonly source: string;
  /** Number of rows (= entities of the dataset, in entity-id order). */
  readonly rows: number;
  /** Floats per row. */
  readonly dim: number;
  /** Row-major rows*dim; rows with mask 0 are all zeros. */
  readonly data: Float32Array;
  /** 1 where the row has the modality, 0 where it is missing. */
  readonly mask: Uint8Array;
  /** How results that use these features must be labelled (a caveat about their coverage or origin). */
  readonly label?: string;
}

/** The metrics.json / log record of a modality: `label (source)` when labelled, else `modality (source)`. */
export function modalityRecord(f: ModalityFeatures): string {
  return `${f.label ?? f.modality} (${f.source})`;
}

/** Rows present (mask 1). */
export function presentRows(f: ModalityFeatures): number {
  let n = 0;
  for (let i = 0; i < f.rows; i++) n += f.mask[i];
  return n;
}
