/**
 * Reading a process tree from /proc (Linux): descendants, resident memory and I/O counters.
 * Used by the harness (sampling a measurement's whole tree) and by measurement processes
 * (reading their own workers' high-water marks before the pool shuts them down).
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** Direct children of `pid`, from every thread (a child may be forked by any thread). */
export function childrenOf(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out = [];
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    out.push(p);
    stack.push(...childrenOf(p));
  }
  return out;
}

/** VmRSS and VmHWM in bytes, or undefined when the process is gone. */
export function memoryOf(pid) {
  const text = read(`/proc/${pid}/status`);
  if (text === undefined) return undefined;
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** Bytes read and written through syscalls (pipes, sockets and files alike). */
export function ioOf(pid) {
  const text = read(`/proc/${pid}/io`);
  if (text === undefined) return undefined;
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rchar: field('rchar'), wchar: field('wchar') };
}

/** CPU time (user + system) in ms of one process, threads included. */
export function cpuMsOf(pid) {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // fields after the parenthesised command name, which may itself contain spaces
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14 and 15)
  return ticks * 10; // USER_HZ is 100 on Linux
}

/**
 * CPU time of this process's children that have exited and been waited for (cutime + cstime),
 * with their own waited-for descendants: the exact CPU of a finished measurement, which sampling
 * misses for short processes (their last tens of milliseconds happen between two samples).
 */
export function reapedChildrenCpuMs() {
  const text = read(`/proc/${process.pid}/stat`);
  if (text === undefined) return 0;
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) * 10; // cutime, cstime (fields 16 and 17)
}

/** Busy and total jiffies of the whole machine, for the load other processes put on it. */
export function machineJiffies() {
  const line = read('/proc/stat')?.split('\n')[0] ?? 'cpu 0 0 0 0';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** High-water marks of every process below this one (its workers), read while they are alive. */
export function descendantsHighWater(pid = process.pid) {
  const tree = processTree(pid).filter((p) => p !== pid);
  let hwm = 0;
  let rchar = 0;
  for (const p of tree) {
    hwm += memoryOf(p)?.hwm ?? 0;
    rchar += ioOf(p)?.rchar ?? 0;
  }
  return { processes: tree.length, hwm, rchar };
}
