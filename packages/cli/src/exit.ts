import { isHoraeError } from '@horae/core';

/**
 * The exit codes of `horae`, documented in its README: scripts branch on them.
 * @public
 */
export const EXIT = {
  ok: 0,
  /** The store could not be reached, an operation failed, or a value was refused. */
  error: 1,
  /** The command line itself is wrong: an unknown command or option, a missing argument. */
  usage: 2,
  /** No task (or quarantined record) with that id. */
  notFound: 3,
  /** `doctor` found a problem. */
  problems: 4,
} as const;

/** An error the command reports in one line, with the exit code that fits it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code and the one line an error is reported with: HoraeErrors by their code. */
export function describeFailure(error: unknown): { code: number; line: string } {
  if (error instanceof CliError) return { code: error.exitCode, line: error.message };
  if (isHoraeError(error)) {
    const code = error.code === 'TASK_NOT_FOUND' || error.code === 'UNKNOWN_STORE' ? EXIT.notFound : EXIT.error;
    return { code, line: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.error, line: `unexpected error: ${message} (run with HORAE_DEBUG=1 for the stack)` };
}
