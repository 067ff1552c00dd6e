/**
 * TaskTable: the tasks of a batch stored column by column as the scheduler pulls them from the
 * input. Nothing keeps the caller's `Delayed` objects, so they die young (a call of 100 000 tiny
 * tasks otherwise spends a third of its time copying them through the garbage collector), and
 * `square(0) … square(n)` is already one Int32Array of arguments, ready to cross a thread or
 * process boundary as one copy of memory instead of one serialized array per task.
 */
import { Delayed } from './delayed.js';

/**
 * Numbers packed to cross a thread or process boundary as one copy of memory: an Int32Array while
 * every value is a 32-bit integer, a Float64Array from the first that is not. Integers stay small
 * integers on the other side (read from a Float64Array they would be doubles, and a loop bounded by
 * such an argument ran 4% slower); every value, -0 and NaN included, reads back exactly.
 */
export type NumberColumn = Int32Array | Float64Array;

/** Argument k of every task: packed while every value is a number, else an array. */
export type Column = NumberColumn | unknown[];

const INT32 = 0;
const FLOAT64 = 1;
const VALUES = 2;

function isInt32(value: number): boolean {
  return (value | 0) === value && (value !== 0 || 1 / value > 0);
}

/** More arguments than this and tasks are kept as rows (a column per argument no longer pays). */
const MAX_COLUMNS = 8;

export class TaskTable {
  length = 0;
  /** The distinct functions, in order of first use. */
  readonly fns: Function[] = [];
  /** Which entry of `fns` each task calls; null while every task calls fns[0] (the usual case). */
  fnOf: number[] | null = null;
  /** Argument k of every task, when all tasks take the same number of arguments (else null). */
  columns: Column[] | null = [];
  /** Each task's own argument list, when the numbers of arguments differ (else null). */
  rows: (readonly unknown[])[] | null = null;
  private arity = -1;
  /** How each column stores its values (INT32, FLOAT64 or VALUES). */
  private readonly kinds: number[] = [];
  private capacity: number;

  /** `capacity`: how many tasks are expected (numeric columns are allocated for that many, and grow). */
  constructor(capacity = 16) {
    this.capacity = Math.max(1, capacity);
  }

  static of(tasks: readonly Delayed[]): TaskTable {
    const table = new TaskTable(tasks.length);
    for (let i = 0; i < tasks.length; i++) table.addDelayed(tasks[i]!);
    return table.seal();
  }

  /** A table over argument columns or rows already laid out (a batch received from the wire). */
  static fromLayout(
    fns: Function[],
    fnOf: readonly number[] | null,
    size: number,
    args: readonly (readonly unknown[] | NumberColumn)[],
    columnar: boolean,
  ): TaskTable {
    const table = new TaskTable(size);
    table.fns.push(...fns);
    // read only here: a table laid out from the wire is run, never added to
    table.fnOf = fnOf as number[] | null;
    table.length = size;
    if (columnar) {
      table.columns = args as Column[];
      table.arity = args.length;
    } else {
      table.columns = null;
      table.rows = args as (readonly unknown[])[];
    }
    return table;
  }

  add(fn: Function, args: readonly unknown[]): void {
    const i = this.length++;
    if (fn !== this.fns[0] || this.fnOf !== null) this.addFunction(fn, i);
    const columns = this.columns;
    if (columns === null || args.length !== this.arity) {
      this.addLayout(columns, i, args);
      return;
    }
    // the common case, flat (it runs unoptimized until V8 catches up): each value fits its column
    const kinds = this.kinds;
    for (let k = 0; k < args.length; k++) {
      const column = columns[k]!;
      const value = args[k];
      const kind = kinds[k];
      if (kind === VALUES) (column as unknown[]).push(value);
      else if (typeof value !== 'number' || i >= column.length) this.store(k, i, value);
      else if (kind === FLOAT64) (column as Float64Array)[i] = value;
      else if ((value | 0) === value && (value !== 0 || 1 / value > 0)) (column as Int32Array)[i] = value;
      else this.store(k, i, value);
    }
  }

  /** Adds a captured call, without building an argument array for a one-argument call. */
  addDelayed(call: Delayed): void {
    if (call.list !== null) this.add(call.fn, call.list);
    else if (this.arity !== 1 || this.columns === null) this.add(call.fn, [call.one]);
    else this.addOne(call.fn, call.one);
  }

  /** `add(fn, [value])` once the table has one column: the idiom `items.map((x) => delayed(f)(x))`. */
  private addOne(fn: Function, value: unknown): void {
    const i = this.length++;
    if (fn !== this.fns[0] || this.fnOf !== null) this.addFunction(fn, i);
    const column = this.columns![0]!;
    const kind = this.kinds[0];
    if (kind === VALUES) (column as unknown[]).push(value);
    else if (typeof value !== 'number' || i >= column.length) this.store(0, i, value);
    else if (kind === FLOAT64) (column as Float64Array)[i] = value;
    else if ((value | 0) === value && (value !== 0 || 1 / value > 0)) (column as Int32Array)[i] = value;
    else this.store(0, i, value);
  }

  /** Task i calls `fn`, which is not the only function so far. */
  private addFunction(fn: Function, i: number): void {
    let f = this.fns.indexOf(fn);
    if (f < 0) f = this.fns.push(fn) - 1;
    if (f !== 0 && this.fnOf === null) this.fnOf = new Array<number>(i).fill(0);
    this.fnOf?.push(f);
  }

  /** The first task, rows already, or a task whose number of arguments differs from the others'. */
  private addLayout(columns: Column[] | null, i: number, args: readonly unknown[]): void {
    if (columns === null) this.rows!.push(args);
    else if (i === 0 && args.length <= MAX_COLUMNS) this.startColumns(columns, args);
    else this.toRows(args);
  }

  private startColumns(columns: Column[], args: readonly unknown[]): void {
    this.arity = args.length;
    for (let k = 0; k < this.arity; k++) {
      const first = args[k];
      if (typeof first !== 'number') {
        this.kinds.push(VALUES);
        columns.push([first]);
        continue;
      }
      const kind = isInt32(first) ? INT32 : FLOAT64;
      const column = kind === INT32 ? new Int32Array(this.capacity) : new Float64Array(this.capacity);
      column[0] = first;
      this.kinds.push(kind);
      columns.push(column);
    }
  }

  /** Slow path: column k grows, widens to doubles, or becomes an array, then takes `value` at `i`. */
  private store(k: number, i: number, value: unknown): void {
    const column = this.columns![k] as NumberColumn;
    if (typeof value !== 'number') {
      this.columns![k] = [...column.subarray(0, i), value];
      this.kinds[k] = VALUES;
      return;
    }
    const wider = this.kinds[k] === INT32 && !isInt32(value);
    const size = i < column.length ? column.length : Math.max(column.length * 2, this.capacity, 16);
    const next = wider || column instanceof Float64Array ? new Float64Array(size) : new Int32Array(size);
    next.set(column.subarray(0, i));
    next[i] = value;
    this.columns![k] = next;
    if (wider) this.kinds[k] = FLOAT64;
  }

  /** Ends adding: numeric columns are trimmed to the number of tasks (a view would clone its whole buffer). */
  seal(): this {
    const columns = this.columns;
    if (columns !== null) {
      for (let k = 0; k < columns.length; k++) {
        const column = columns[k]!;
        if (!Array.isArray(column) && column.length !== this.length)
          columns[k] = column.slice(0, this.length);
      }
    }
    return this;
  }

  /** Tasks [start, end) as a table of their own (columns copied). */
  slice(start: number, end: number): TaskTable {
    const table = new TaskTable(end - start);
    table.fns.push(...this.fns);
    table.fnOf = this.fnOf?.slice(start, end) ?? null;
    table.length = end - start;
    table.arity = this.arity;
    table.columns = this.columns?.map((column) => column.slice(start, end)) ?? null;
    table.rows = this.rows?.slice(start, end) ?? null;
    return table;
  }

  fnAt(i: number): Function {
    return this.fns[this.fnOf === null ? 0 : this.fnOf[i]!]!;
  }

  /** The arguments of task i (a new array in the columnar layout). */
  argsAt(i: number): readonly unknown[] {
    if (this.rows !== null) return this.rows[i]!;
    const columns = this.columns!;
    const args = new Array<unknown>(columns.length);
    for (let k = 0; k < columns.length; k++) args[k] = columns[k]![i];
    return args;
  }

  /** Calls task i's function with its arguments, without building an argument array for up to 3 columns. */
  call(i: number): unknown {
    const fn = this.fns[this.fnOf === null ? 0 : this.fnOf[i]!] as (...args: unknown[]) => unknown;
    const columns = this.columns;
    if (columns === null) return fn(...this.rows![i]!);
    switch (columns.length) {
      case 0:
        return fn();
      case 1:
        return fn(columns[0]![i]);
      case 2:
        return fn(columns[0]![i], columns[1]![i]);
      case 3:
        return fn(columns[0]![i], columns[1]![i], columns[2]![i]);
      default:
        return fn(...this.argsAt(i));
    }
  }

  toDelayed(): Delayed[] {
    const tasks = new Array<Delayed>(this.length);
    for (let i = 0; i < this.length; i++) tasks[i] = new Delayed(this.fnAt(i) as never, this.argsAt(i));
    return tasks;
  }

  /** The numbers of arguments differ: keep every task's argument list instead of columns. */
  private toRows(args: readonly unknown[]): void {
    const before = this.length - 1;
    const rows = new Array<readonly unknown[]>(before);
    for (let i = 0; i < before; i++) rows[i] = this.argsAt(i);
    rows.push(args);
    this.rows = rows;
    this.columns = null;
  }
}
