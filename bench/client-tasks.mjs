/** Task functions of the client workloads (bench/child/client.mjs): a task module workers import. */
import { currentClient } from '@parajob/client';
import { task } from '@parajob/core';

export const add = task(import.meta.url, function add(a, b) {
  return a + b;
});

export const sleepMs = task(import.meta.url, function sleepMs(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms, ms));
});

/** A binary tree of nested tasks with `count` leaves; each parent waits in get for its children. */
export const treeCount = task(import.meta.url, async function treeCount(count) {
  if (count <= 1) return 1;
  const client = currentClient();
  const half = Math.floor(count / 2);
  const [a, b] = await client.get([
    client.remote(treeCount).remote(half),
    client.remote(treeCount).remote(count - half),
  ]);
  return a + b;
});
