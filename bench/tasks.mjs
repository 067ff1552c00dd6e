/**
 * parajob task functions for the benchmarks: `task(import.meta.url, fn)` in a module of their
 * own, so that every backend (threads, processes, remote workers) can import them by reference.
 */
import { task } from 'parajob';
import { burn as burnWork, sliceSum as sliceSumWork, square as squareWork } from './work.mjs';

export const square = task(import.meta.url, function square(x) {
  return squareWork(x);
});

export const burn = task(import.meta.url, function burn(iters, seed) {
  return burnWork(iters, seed);
});

export const sliceSum = task(import.meta.url, function sliceSum(data, start, end) {
  return sliceSumWork(data, start, end);
});
