import { readFileSync } from 'node:fs';
import { task } from 'parajob';
export const cpu = task(import.meta.url, function cpu() {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
});
