/**
 * Exit codes of the `nomaly` command, so scripts can tell a mistake in the command line from a
 * problem in the data. (The API client commands add 3 for API errors and 4 for network errors.)
 */
export const ExitCode = {
  Ok: 0,
  /** The input could not be processed: unreadable or malformed file, detection error. */
  Failure: 1,
  /** The command line is wrong: unknown command, option, algorithm or parameter. */
  Usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a message (no stack trace) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failure,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage);
}
