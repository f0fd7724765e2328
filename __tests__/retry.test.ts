import { backoff, withRetries, type FailureKind } from '../src/retry.js';

function harness(kinds: Record<string, FailureKind>, refreshes = 1) {
  const waits: number[] = [];
  const warnings: string[] = [];
  let refreshesLeft = refreshes;
  return {
    waits,
    warnings,
    options: (attempts: number) => ({
      attempts,
      what: 'pushing app:1',
      classify: (error: unknown) =>
        kinds[(error as Error).message] ?? 'permanent',
      refreshToken: async () => refreshesLeft-- > 0,
      sleep: async (ms: number) => void waits.push(ms),
      random: () => 0.5,
      warn: (m: string) => void warnings.push(m),
    }),
  };
}

function failing(...messages: string[]) {
  let calls = 0;
  const operation = async () => {
    const message = messages[calls++];
    if (message) throw new Error(message);
    return `ok after ${calls}`;
  };
  return { operation, calls: () => calls };
}

test('retries transient failures with growing waits, then succeeds', async () => {
  const h = harness({ cut: 'transient' });
  const op = failing('cut', 'cut');
  await expect(withRetries(op.operation, h.options(3))).resolves.toBe(
    'ok after 3',
  );
  expect(h.waits).toEqual([750, 1500]);
  expect(h.warnings).toEqual([
    'Attempt 1 of 3 at pushing app:1 failed: cut. Retrying in 0.8 s.',
    'Attempt 2 of 3 at pushing app:1 failed: cut. Retrying in 1.5 s.',
  ]);
});

test('gives up after the last attempt with the last error', async () => {
  const h = harness({ cut: 'transient', reset: 'transient' });
  const op = failing('cut', 'cut', 'reset');
  await expect(withRetries(op.operation, h.options(3))).rejects.toThrow(
    'reset',
  );
  expect(op.calls()).toBe(3);
});

test('a permanent failure is not retried', async () => {
  const h = harness({});
  const op = failing('denied');
  await expect(withRetries(op.operation, h.options(3))).rejects.toThrow(
    'denied',
  );
  expect(op.calls()).toBe(1);
  expect(h.waits).toEqual([]);
});

test('a refused token is replaced once, not twice', async () => {
  const h = harness({ expired: 'token' }, 1);
  const op = failing('expired', 'expired', 'expired');
  await expect(withRetries(op.operation, h.options(5))).rejects.toThrow(
    'expired',
  );
  expect(op.calls()).toBe(2);
  expect(h.warnings[0]).toMatch(/Fetched a new ECR token/);
});

test('max-attempts 1 means no retry', async () => {
  const h = harness({ cut: 'transient' });
  const op = failing('cut');
  await expect(withRetries(op.operation, h.options(1))).rejects.toThrow('cut');
  expect(op.calls()).toBe(1);
});

describe('backoff', () => {
  test.each([
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0.5, 1500],
    [3, 1, 4000],
    [10, 1, 20000],
    [10, 0, 10000],
  ])('attempt %i, random %f → %i ms', (attempt, random, expected) => {
    expect(backoff(attempt, { random: () => random })).toBe(expected);
  });
});
