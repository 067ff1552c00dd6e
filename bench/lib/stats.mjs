/** Medians and ranges of per-run values; `undefined` entries (failed runs) are ignored. */

export function summary(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

/** Applies `f(a[r], b[r])` run by run (both must exist), so ratios come from the same run. */
export function perRun(a = [], b = [], f) {
  const out = [];
  for (let r = 0; r < Math.max(a.length, b.length); r++) {
    if (typeof a[r] === 'number' && typeof b[r] === 'number') out.push(f(a[r], b[r]));
  }
  return out;
}

export function fmtMs(ms) {
  if (ms === undefined) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  // per-call figures (one task at a time, wait) are microseconds: 0.02 ms would hide a 20 % gap
  return `${(ms * 1000).toFixed(ms >= 0.1 ? 0 : 1)} µs`;
}

export function fmtMb(bytes) {
  return bytes === undefined ? '—' : `${(bytes / 1e6).toFixed(0)} MB`;
}

export function fmtX(x, digits = 2) {
  if (x === undefined) return '—';
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits)}×`;
}

export function fmtRange(s, fmt) {
  if (!s) return '—';
  return s.n > 1 ? `${fmt(s.min)} – ${fmt(s.max)}` : '(1 run)';
}
