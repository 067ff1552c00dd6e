/**
 * The soak's task functions (bench/soak/README.md). One function per misbehaviour, each
 * deterministic in its arguments so the driver knows what every task must give.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { task } from 'parajob';

/** What an `ok` task returns for input i (checked by the driver). */
export const expected = (i) => i * i + 1;

export class SoakError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'SoakError';
    this.code = code;
  }
}

export const ok = task(import.meta.url, async function ok(i, ms, array) {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  // a large shared array (maxNbytes) must arrive intact: its sum is part of the result
  const extra = array ? array.reduce((a, b) => a + b, 0) : 0;
  return i * i + 1 + extra;
});

export const throwSync = task(import.meta.url, function throwSync(i) {
  throw new SoakError(`task ${i} throws`, 'E_SOAK_SYNC');
});

export const throwAsync = task(import.meta.url, async function throwAsync(i) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new SoakError(`task ${i} rejects`, 'E_SOAK_ASYNC');
});

export const exit = task(import.meta.url, function exit() {
  process.exit(3);
});

/** Allocates until the worker's heap limit (maxMemoryPerWorker) is hit. */
export const oom = task(import.meta.url, function oom() {
  const hoard = [];
  for (;;) hoard.push(new Array(100_000).fill(hoard.length));
});

/** Loops without yielding: only a timeout (or an abort) ends it. */
export const spin = task(import.meta.url, function spin() {
  for (;;) {}
});

export const uncloneable = task(import.meta.url, function uncloneable(i) {
  return { i, cb: () => i };
});

/** Writes the worker's pid into `dir` and waits there: the driver SIGKILLs that process from outside. */
export const awaitKill = task(import.meta.url, function awaitKill(i, dir) {
  writeFileSync(join(dir, `${i}.${process.pid}`), '');
  return new Promise(() => {});
});

export const pidOf = task(import.meta.url, async function pidOf() {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return process.pid;
});

/** Says so, then spins forever on a (shared) array: a worker that holds its call's folder and never yields. */
export const spinOn = task(import.meta.url, function spinOn(array) {
  console.log(`SPINNING ${process.pid} ${array.length}`);
  let x = 0;
  for (;;) x += array[x % array.length];
});

/** The misbehaving tasks by kind (each takes the task's index). */
export const FAILING = { throwSync, throwAsync, exit, oom, spin, uncloneable };
