import { formatBytes, PushProgress } from '../src/push-progress.js';

function setup(intervalMs = 10_000) {
  const lines: string[] = [];
  let clock = 0;
  const progress = new PushProgress({
    log: (l) => lines.push(l),
    now: () => clock,
    intervalMs,
  });
  return { lines, progress, tick: (ms: number) => (clock += ms) };
}

describe('PushProgress', () => {
  test('logs a layer once per state, not once per message', () => {
    const { lines, progress } = setup();
    for (const status of [
      'Preparing',
      'Preparing',
      'Waiting',
      'Pushing',
      'Pushing',
      'Pushed',
    ]) {
      progress.handle({
        type: 'layer',
        id: 'abc',
        status,
        current: 1,
        total: 2,
      });
    }
    expect(lines).toEqual([
      'abc: Preparing',
      'abc: Waiting',
      'abc: Pushing',
      'abc: Pushed',
    ]);
  });

  test('throttles upload lines by time across all layers', () => {
    const { lines, progress, tick } = setup(10_000);
    const total = 64 * 1024 * 1024;
    for (let step = 1; step <= 100; step++) {
      tick(1_000);
      for (const id of ['a', 'b']) {
        progress.handle({
          type: 'layer',
          id,
          status: 'Pushing',
          current: step * 1024,
          total,
        });
      }
    }
    const uploadLines = lines.filter((l) => l.startsWith('Uploaded'));
    expect(uploadLines).toHaveLength(10);
    // Layer b has not reported its tenth step when the line is written.
    expect(uploadLines[0]).toBe(
      'Uploaded 19.0 KB of 128.0 MB (0 of 2 layers done)',
    );
  });

  test('counts finished layers, whatever way they finished', () => {
    const { lines, progress, tick } = setup(1);
    progress.handle({ type: 'layer', id: 'a', status: 'Layer already exists' });
    progress.handle({
      type: 'layer',
      id: 'b',
      status: 'Mounted from other/repo',
    });
    progress.handle({
      type: 'layer',
      id: 'c',
      status: 'Pushing',
      current: 1,
      total: 4,
    });
    tick(5);
    progress.handle({
      type: 'layer',
      id: 'c',
      status: 'Pushing',
      current: 2,
      total: 4,
    });
    expect(lines.at(-1)).toBe('Uploaded 2 B of 4 B (2 of 3 layers done)');
  });

  test('one line for a retry countdown', () => {
    const { lines, progress } = setup();
    for (const s of [
      'Retrying in 5 seconds',
      'Retrying in 4 seconds',
      'Retrying in 3 seconds',
    ]) {
      progress.handle({ type: 'layer', id: 'a', status: s });
    }
    expect(lines).toEqual(['a: Retrying in 5 seconds']);
  });
});

test.each([
  [0, '0 B'],
  [1023, '1023 B'],
  [1536, '1.5 KB'],
  [3 * 1024 * 1024, '3.0 MB'],
  [512 * 1024 ** 3, '512.0 GB'],
])('formatBytes(%i) = %s', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});
