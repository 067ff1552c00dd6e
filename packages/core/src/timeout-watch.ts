/**
 * For out-of-process adapters: stop a task that runs longer than its limit, counting from when the
 * task started (reported by the worker), not from when its batch was queued. One timer, re-armed
 * only when it fires: no polling.
 */

export interface RunningTask {
  /** Position of the running task in its batch. */
  readonly position: number;
  /** When it started, in Date.now() milliseconds. */
  readonly startedAt: number;
}

/**
 * Longest delay setTimeout honours; a longer one fires after 1 ms (with a TimeoutOverflowWarning
 * each time), which would re-arm in a 1 ms loop for the whole task. Longer limits wait in steps.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimeoutWatch {
  stop(): void;
}

/**
 * `current()` says which task of the batch runs now (e.g. read from shared memory written by the
 * worker); `onExpired(position)` is called once when that task passes `timeoutMs`.
 */
export function watchTaskTimeout(
  timeoutMs: number,
  current: () => RunningTask | undefined,
  onExpired: (position: number) => void,
): TimeoutWatch {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const running = current();
    const now = Date.now();
    if (running !== undefined && now - running.startedAt >= timeoutMs) {
      stopped = true;
      onExpired(running.position);
      return;
    }
    const wait = running === undefined ? timeoutMs : running.startedAt + timeoutMs - now;
    timer = setTimeout(check, Math.min(MAX_TIMER_MS, Math.max(1, wait)));
  };
  timer = setTimeout(check, Math.min(MAX_TIMER_MS, timeoutMs));
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
