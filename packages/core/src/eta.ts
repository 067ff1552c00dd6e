/**
 * The time left, once it means something. The first results arrive after worker start-up, so the
 * plain elapsed/completed rate overestimates (108 s shown for a 1.3 s job): the rate is measured from
 * the first completion on, and no estimate is given before MIN_UPDATES completions after that first
 * one and MIN_SHARE of the tasks done.
 */

export const ETA_MIN_UPDATES = 3;
export const ETA_MIN_SHARE = 0.05;

export class EtaEstimator {
  /** Elapsed time and completed count at the first completion (null before it). */
  private first: { readonly ms: number; readonly completed: number } | null = null;
  private updates = 0;

  /** Records a completion update; returns the estimate in ms, or null while not meaningful. */
  update(elapsedMs: number, completed: number, total: number | null): number | null {
    if (completed <= 0) return null;
    if (this.first === null) {
      this.first = { ms: elapsedMs, completed };
      return null;
    }
    if (completed > this.first.completed) this.updates++;
    return this.estimate(elapsedMs, completed, total);
  }

  /** The estimate from the updates recorded so far (null while not meaningful). */
  estimate(elapsedMs: number, completed: number, total: number | null): number | null {
    const first = this.first;
    if (total === null || first === null || this.updates < ETA_MIN_UPDATES) return null;
    if (completed < total * ETA_MIN_SHARE || completed <= first.completed) return null;
    const rate = (elapsedMs - first.ms) / (completed - first.completed);
    return Math.max(0, rate * (total - completed));
  }
}
