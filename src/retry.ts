import * as core from '@actions/core';

/** How a failed attempt should be followed up. */
export type FailureKind =
  /** Worth another attempt after a pause: dropped connection, 5xx, rate limit. */
  | 'transient'
  /** The token expired or was refused: fetch a new one (once), then retry. */
  | 'token'
  /** Another attempt would fail the same way. */
  | 'permanent';

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  /** What is being attempted, for the warnings ("push of app:1"). */
  what: string;
  classify: (error: unknown) => FailureKind;
  /** Gets a fresh token; returns false when it already did once. */
  refreshToken: () => Promise<boolean>;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  warn?: (message: string) => void;
}

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;

/**
 * Runs `operation` until it succeeds, a permanent failure occurs, or the
 * attempts run out. Waits grow exponentially with jitter, so that jobs
 * retrying against the same registry spread out instead of colliding.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const warn = options.warn ?? core.warning;
  const sleep = options.sleep ?? delay;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const kind = options.classify(error);
      const last = attempt >= options.attempts;
      if (kind === 'permanent' || last) throw error;
      if (kind === 'token' && !(await options.refreshToken())) throw error;
      const wait = backoff(attempt, options);
      warn(
        `Attempt ${attempt} of ${options.attempts} at ${options.what} failed: ${reasonOf(error)}` +
          `${kind === 'token' ? ' Fetched a new ECR token.' : ''} Retrying ` +
          `in ${(wait / 1000).toFixed(1)} s.`,
      );
      await sleep(wait);
    }
  }
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoff(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const base = options.baseDelayMs ?? BASE_DELAY_MS;
  const max = options.maxDelayMs ?? MAX_DELAY_MS;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
