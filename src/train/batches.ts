/**
 * The units a training scheme shuffles and how a batch of them is assembled from the epoch's
 * order: positive triples (negative sampling) or 1-vs-all / KvsAll queries. Each source reuses
 * one batch buffer of `batchSize` units.
 */

/**
 * A batch of 1-vs-all queries: anchor entity, relation row, answer entity, direction.
 * With reciprocal relations every query is a tail query (t, r + R, h) for the head side.
 */
export interface QueryBatch {
  anchors: Int32Array;
  relations: Int32Array;
  answers: Int32Array;
  /** 1 = predict the tail (anchor is the head), 0 = predict the head (anchor is the tail). */
  tailSide: Uint8Array;
  count: number;
}

/** Units of an epoch and the batch of units order[from..to). */
export interface BatchSource<Batch> {
  readonly units: number;
  fill(order: Int32Array, from: number, to: number): Batch;
}

/** Batches of positive triples (flat h, r, t) in the epoch's order. */
export class TripleBatches implements BatchSource<Int32Array> {
  readonly units: number;
  private readonly batch: Int32Array;

  constructor(private readonly train: Int32Array, batchSize: number) {
    this.units = train.length / 3;
    this.batch = new Int32Array(3 * batchSize);
  }

  fill(order: Int32Array, from: number, to: number): Int32Array {
    const { batch, train } = this;
    for (let i = 0; i < to - from; i++) batch.set(train.subarray(3 * order[from + i], 3 * order[from + i] + 3), 3 * i);
    return batch;
  }
}

/** Batches of the 1-vs-all (or unique KvsAll) queries of the training triples, see {@link buildQueries}. */
export class QueryBatches implements BatchSource<QueryBatch> {
  readonly units: number;
  private readonly queries: QueryBatch;
  private readonly batch: QueryBatch;

  constructor(train: Int32Array, batchSize: number, unique: boolean, reciprocal: boolean) {
    this.queries = buildQueries(train, unique, reciprocal);
    this.units = this.queries.count;
    this.batch = { anchors: new Int32Array(batchSize), relations: new Int32Array(batchSize), answers: new Int32Array(batchSize), tailSide: new Uint8Array(batchSize), count: 0 };
  }

  fill(order: Int32Array, from: number, to: number): QueryBatch {
    const { batch: qb, queries } = this;
    qb.count = to - from;
    for (let i = 0; i < qb.count; i++) {
      const j = order[from + i];
      qb.anchors[i] = queries.anchors[j];
      qb.relations[i] = queries.relations[j];
      qb.answers[i] = queries.answers[j];
      qb.tailSide[i] = queries.tailSide[j];
    }
    return qb;
  }
}

/**
 * 1-vs-all queries from training triples: with reciprocal relations, one tail query per triple;
 * otherwise a tail and a head query per triple. KvsAll: the unique (anchor, relation, side) queries.
 */
export function buildQueries(train: Int32Array, unique: boolean, reciprocal: boolean): QueryBatch {
  const anchors: number[] = [];
  const relations: number[] = [];
  const answers: number[] = [];
  const sides: number[] = [];
  const seen = new Set<string>();
  const add = (a: number, r: number, b: number, side: number): void => {
    if (unique) {
      const key = `${side}:${a}:${r}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    anchors.push(a);
    relations.push(r);
    answers.push(b);
    sides.push(side);
  };
  for (let i = 0; i < train.length; i += 3) {
    add(train[i], train[i + 1], train[i + 2], 1);
    if (!reciprocal) add(train[i + 2], train[i + 1], train[i], 0);
  }
  return { anchors: Int32Array.from(anchors), relations: Int32Array.from(relations), answers: Int32Array.from(answers), tailSide: Uint8Array.from(sides), count: anchors.length };
}

/** Train triples plus (t, r + R, h) for every (h, r, t). */
export function withReciprocals(train: Int32Array, numRelations: number): Int32Array {
  const out = new Int32Array(2 * train.length);
  out.set(train);
  for (let i = 0; i < train.length; i += 3) {
    out[train.length + i] = train[i + 2];
    out[train.length + i + 1] = train[i + 1] + numRelations;
    out[train.length + i + 2] = train[i];
  }
  return out;
}
