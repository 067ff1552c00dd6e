/** How commands end early: a usage error (exit 2, with the usage text) or a plain failure. */
import type { UsageName } from './usage.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad command-line usage: the message, then the command's usage text, on stderr; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly usage: UsageName,
  ) {
    super(message);
  }
}

/** A failure with a message meant for the user as is (no stack); `exitCode` 1 or 2. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
