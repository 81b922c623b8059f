import type { DenseHead } from '../dense/head';
import { setTensorEngine } from '../dense/tf_loss';

/**
 * The run's dense engine, borrowed by the training steps that need it (the 1-vs-all head, fused
 * encoders): the first `acquire` selects it and sets it as the engine of the models' dense
 * products; `release` unsets it and disposes an engine this run selected itself.
 */
export class RunEngine {
  private head?: DenseHead;

  /** `given`: an engine owned by the caller (never disposed here); else `select` makes one. */
  constructor(private readonly select: () => DenseHead, private readonly given?: DenseHead) {}

  acquire(): DenseHead {
    if (!this.head) {
      this.head = this.given ?? this.select();
      setTensorEngine(this.head);
    }
    return this.head;
  }

  release(): void {
    if (!this.head) return;
    setTensorEngine(undefined);
    if (!this.given) this.head.dispose();
    this.head = undefined;
  }
}
