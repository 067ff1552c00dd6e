/**
 * joblib's auto-batching heuristic: start at 1; if the smoothed batch duration is under the
 * minimum ideal duration, grow (at most doubling); if over the maximum, shrink; smooth with
 * 0.8/0.2; reset the estimate whenever the size changes.
 */

export interface AutoBatchingOptions {
  /** Below this smoothed batch duration the batch size grows. joblib: 200 ms. */
  minIdealBatchDurationMs?: number;
  /** Above it the batch size shrinks. joblib: 2 s. */
  maxIdealBatchDurationMs?: number;
}

export class AutoBatching {
  static readonly DEFAULT_MIN_IDEAL_BATCH_DURATION_MS = 200;
  static readonly DEFAULT_MAX_IDEAL_BATCH_DURATION_MS = 2000;
  readonly minIdealBatchDurationMs: number;
  readonly maxIdealBatchDurationMs: number;
  private effectiveBatchSize = 1;
  private smoothedBatchDurationMs = 0;

  constructor(options: AutoBatchingOptions = {}) {
    this.minIdealBatchDurationMs =
      options.minIdealBatchDurationMs ?? AutoBatching.DEFAULT_MIN_IDEAL_BATCH_DURATION_MS;
    this.maxIdealBatchDurationMs =
      options.maxIdealBatchDurationMs ?? AutoBatching.DEFAULT_MAX_IDEAL_BATCH_DURATION_MS;
    if (
      !(this.minIdealBatchDurationMs > 0) ||
      !(this.maxIdealBatchDurationMs >= this.minIdealBatchDurationMs)
    ) {
      throw new RangeError('AutoBatching: need 0 < minIdealBatchDurationMs <= maxIdealBatchDurationMs');
    }
  }

  /** The smoothed duration the current size is judged on (0 right after a change). */
  get smoothedDurationMs(): number {
    return this.smoothedBatchDurationMs;
  }

  computeBatchSize(): number {
    const old = this.effectiveBatchSize;
    const smoothed = this.smoothedBatchDurationMs;
    let next = old;
    if (smoothed > 0 && smoothed < this.minIdealBatchDurationMs) {
      // grow towards the ideal duration, at most doubling, so a slow first batch cannot overshoot
      const ideal = Math.trunc((old * this.minIdealBatchDurationMs) / smoothed) * 2;
      next = Math.max(Math.min(2 * old, ideal), 1);
    } else if (smoothed > this.maxIdealBatchDurationMs && old >= 2) {
      next = Math.max(2 * Math.trunc((old * this.minIdealBatchDurationMs) / smoothed), 1);
    }
    if (next !== old) {
      this.effectiveBatchSize = next;
      this.smoothedBatchDurationMs = 0;
    }
    return next;
  }

  batchCompleted(batchSize: number, durationMs: number): void {
    if (batchSize !== this.effectiveBatchSize) return;
    this.smoothedBatchDurationMs =
      this.smoothedBatchDurationMs === 0 ? durationMs : 0.8 * this.smoothedBatchDurationMs + 0.2 * durationMs;
  }

  reset(): void {
    this.effectiveBatchSize = 1;
    this.smoothedBatchDurationMs = 0;
  }
}
