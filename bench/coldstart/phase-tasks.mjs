// Task for bench/coldstart/phases.mjs: squares x and says which thread ran it, when (epoch ms)
// and how much CPU that thread had used by then (its schedstat), to time each worker's start.
import { task } from 'parajob';
import { threadSample } from './thread-sample.mjs';

export const timedSquare = task(import.meta.url, function timedSquare(x) {
  return { value: x * x, ...threadSample() };
});
