/**
 * How an error is shown on stderr: `Name: message`, its code, and the first frames of its stack
 * that belong to the user's code (parajob's and Node's own frames are left out).
 */
import { isInternalFrame } from './internal-frames.js';

const MAX_FRAMES = 3;

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const head = `${error.name}: ${error.message}${typeof code === 'string' ? ` [${code}]` : ''}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at ') && !isInternalFrame(line))
    .slice(0, MAX_FRAMES)
    .map((line) => `    ${line.trim()}`);
  return frames.length ? `${head}\n${frames.join('\n')}` : head;
}
