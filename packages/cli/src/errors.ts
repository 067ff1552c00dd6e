/** How commands end early: a usage error (exit 2, one line and a hint to --help) or a plain failure. */
import { messages } from './messages.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Bad command-line usage of `parajob <command>` (`command` is e.g. 'map' or 'worker nats'; '' for
 * `parajob` itself): reported on stderr as one line and a hint to `--help`, exit code 2. Every
 * command, the worker commands included, throws it and lets main() report it.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
  }
}

/** The text of a usage error: `parajob map: <what is wrong>`, then where the usage is. */
export function usageErrorText(message: string, command: string): string {
  const program = command ? `parajob ${command}` : 'parajob';
  return `${program}: ${message}\n${messages.usage.hint(program)}\n`;
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
