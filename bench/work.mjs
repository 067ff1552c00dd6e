/**
 * The workloads' pure functions, shared by every subject (parajob tasks, the peers' worker
 * files, the in-process loops) so they all run exactly the same code.
 */

export function square(x) {
  return x * x;
}

/** A fixed amount of integer CPU work (no allocation, no I/O); `iters` is calibrated to ~10 ms. */
export function burn(iters, seed) {
  let h = seed | 0;
  for (let i = 0; i < iters; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + i;
    h |= 0;
  }
  return h;
}

/** Sum of `data[start..end)`: reads a slice of the large shared array. */
export function sliceSum(data, start, end) {
  let s = 0;
  for (let i = start; i < end; i++) s += data[i];
  return s;
}
