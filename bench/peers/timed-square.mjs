// piscina worker file for bench/coldstart/phases.mjs: the same as timedSquare of coldstart/phase-tasks.mjs.
import { threadSample } from '../coldstart/thread-sample.mjs';

export default function timedSquare(x) {
  return { value: x * x, ...threadSample() };
}
