import type { Scorer } from '../scorer';
import type { MultimodalKgModel } from '../multimodal';
import { Rng } from '../rng';

/**
 * The trainable state of a KG embedding model: an entity table and a relation table,
 * row-major Float32Arrays on SharedArrayBuffers so evaluation workers read them without copies.
 */
export interface KgTables {
  readonly entities: Float32Array;
  readonly relations: Float32Array;
  readonly numEntities: number;
  /** Rows of the relation table (2x the dataset's relations with reciprocal relations). */
  readonly numRelationRows: number;
}

/** A zeroed Float32Array on a SharedArrayBuffer. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** Allocate and initialise the tables with the scorer's initialisers (or normal(0, initStd)). */
export function createTables(scorer: Scorer, numEntities: number, numRelationRows: number, rng: Rng, initStd: number): KgTables {
  const entities = sharedFloat32(numEntities * scorer.entityWidth);
  const relations = sharedFloat32(numRelationRows * scorer.relationWidth);
  if (initStd > 0) {
    const r = rng.derive('init-normal');
    for (let i = 0; i < entities.length; i++) entities[i] = initStd * r.normal();
    for (let i = 0; i < relations.length; i++) relations[i] = initStd * r.normal();
  } else {
    scorer.initEntities(entities, numEntities, rng.derive('init-entities'));
    scorer.initRelations(relations, numRelationRows, rng.derive('init-relations'));
  }
  return { entities, relations, numEntities, numRelationRows };
}

/** True when a table row is laid out as complex [re | im] halves of `dim` coordinates each. */
export function isComplexLayout(width: number, dim: number): boolean {
  return width === 2 * dim;
}

/** Structural and relation tables of a multimodal model, initialised by the model. */
export function createMultimodalTables(model: MultimodalKgModel, numEntities: number, numRelationRows: number, rng: Rng): KgTables {
  const entities = sharedFloat32(numEntities * model.structuralWidth);
  const relations = sharedFloat32(numRelationRows * model.scorer.relationWidth);
  model.initStructural(entities, numEntities, rng.derive('init-entities'));
  model.initRelations(relations, numRelationRows, rng.derive('init-relations'));
  return { entities, relations, numEntities, numRelationRows };
}
