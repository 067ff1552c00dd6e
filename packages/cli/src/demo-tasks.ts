/**
 * The demo's workload, in its own module so that workers can import it (task()): counting primes
 * by trial division — pure CPU, no I/O, no shared state, the shape of work parajob is for.
 */
import { task } from '@parajob/core';

/** How many primes p satisfy lo <= p < hi. */
export const countPrimesInRange = task(
  import.meta.url,
  function countPrimesInRange(lo: number, hi: number): number {
    let count = 0;
    for (let n = Math.max(lo, 2); n < hi; n++) {
      if (n < 4) {
        count++;
        continue;
      }
      if (n % 2 === 0) continue;
      let prime = true;
      for (let d = 3; d * d <= n; d += 2) {
        if (n % d === 0) {
          prime = false;
          break;
        }
      }
      if (prime) count++;
    }
    return count;
  },
);

/** Cuts [0, limit) into `chunks` consecutive ranges of (almost) equal width. */
export function primeRanges(limit: number, chunks: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < chunks; i++) {
    const lo = Math.floor((limit * i) / chunks);
    const hi = Math.floor((limit * (i + 1)) / chunks);
    if (hi > lo) ranges.push([lo, hi]);
  }
  return ranges;
}
