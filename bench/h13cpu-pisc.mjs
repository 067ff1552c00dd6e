import { readFileSync } from 'node:fs';
export default function cpu() { return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; }
