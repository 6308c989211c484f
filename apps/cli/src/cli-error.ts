/**
 * Exit codes of the `nomaly` command, so scripts can tell a mistake in the command line from a
 * problem in the data, an answer of the API, an unreachable server and a refused key.
 */
export const ExitCode = {
  Ok: 0,
  /**
   * The work failed: an unreadable or malformed file, a detection error, or a watched job that
   * ended failed or cancelled.
   */
  Failure: 1,
  /** The command line or configuration is wrong: unknown command, option, value or config file. */
  Usage: 2,
  /** The API answered an error (4xx other than 401/403, or 5xx): its problem is printed. */
  Api: 3,
  /** The API could not be reached: connection refused, DNS, TLS, or no answer in time. */
  Network: 4,
  /** No API key, or the API refused it (401) or refused it this action (403). */
  Auth: 5,
  /** `--timeout` passed while waiting for a job, which goes on running. */
  WaitTimeout: 6,
  /** Ctrl-C at a prompt, as a shell reports an interrupted command (128 + SIGINT). */
  Interrupted: 130,
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
