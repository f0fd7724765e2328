/**
 * An error whose message is written for the workflow author: it says what
 * went wrong and what to do about it. Anything else reaching the error
 * boundary in `run()` is reported as unexpected.
 */
export class ActionError extends Error {
  override name = 'ActionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Turns any thrown value into one line fit for an `::error::` annotation. */
export function describeFailure(thrown: unknown): string {
  if (thrown instanceof ActionError) return thrown.message;
  if (thrown instanceof Error) {
    const message = thrown.message.replace(/\.+$/, '');
    return `Unexpected ${thrown.name}: ${message}. Please report this with the step log.`;
  }
  return `Unexpected failure: ${String(thrown)}. Please report this with the step log.`;
}

/** Shows a user value unambiguously, with control characters escaped. */
export function quote(value: string): string {
  const shown = value.length > 300 ? `${value.slice(0, 300)}…` : value;
  return JSON.stringify(shown);
}
