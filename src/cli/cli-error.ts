/** A mistake in how the CLI was called: exit code 2, one line on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the CLI reports in one line (exit code 1) that has no typed error of its own. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** One line for stderr: the message of a typed error, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const firstLine = error.message.split('\n', 1)[0] ?? '';
    return firstLine.length > 0 ? firstLine : error.name;
  }
  return String(error);
}
