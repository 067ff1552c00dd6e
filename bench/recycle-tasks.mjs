/** A leaking task for bench/recycle-rss.mjs: each call keeps `mb` MB on its worker's heap for good. */
import { task } from 'parajob';

const kept = [];
export const leak = task(import.meta.url, function leak(mb) {
  kept.push(new Array(mb * 131_072).fill(1.5));
  return kept.length;
});
