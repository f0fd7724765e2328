import type { EngineClient } from '../src/engine/client.js';
import { tagInTurn } from '../src/tagging.js';
import type { PushTarget } from '../src/targets.js';

const target = (tag: string): PushTarget => ({
  registry: { kind: 'public', host: 'public.ecr.aws', region: 'us-east-1' },
  repository: 'alias/app',
  tag,
});

/** An engine whose tag requests finish only when the test says so. */
function slowEngine(failing: string[] = []) {
  const requests: string[] = [];
  const finish: Array<() => void> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const engine = {
    tagImage: (_source: string, _repository: string, tag: string) => {
      requests.push(tag);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      return new Promise<void>((resolve, reject) => {
        finish.push(() => {
          inFlight -= 1;
          if (failing.includes(tag)) reject(new Error(`cannot tag ${tag}`));
          else resolve();
        });
      });
    },
  } as unknown as EngineClient;
  const settleNext = async () => {
    // Let the chain issue its next request before finishing the current one.
    await new Promise((resolve) => setImmediate(resolve));
    finish.shift()?.();
  };
  return { engine, requests, settleNext, mostInFlight: () => mostInFlight };
}

test('tags one at a time, in order, and each target waits for its own name only', async () => {
  const { engine, requests, settleNext, mostInFlight } = slowEngine();
  const targets = ['a', 'b', 'c'].map(target);
  const tagged = tagInTurn(engine, 'sha256:1', targets);

  let firstDone = false;
  const first = tagged(targets[0]!).then(() => (firstDone = true));
  await settleNext();
  await first;
  expect(firstDone).toBe(true);
  // The later names are still being made: a push of "a" need not wait.
  expect(requests).toEqual(['a', 'b']);

  await settleNext();
  await settleNext();
  await Promise.all(targets.map(tagged));
  expect(requests).toEqual(['a', 'b', 'c']);
  expect(mostInFlight()).toBe(1);
});

test('a failed tag fails its own target only, and the next tag is still made', async () => {
  const { engine, requests, settleNext } = slowEngine(['b']);
  const targets = ['a', 'b', 'c'].map(target);
  const tagged = tagInTurn(engine, 'sha256:1', targets);
  for (let i = 0; i < 3; i++) await settleNext();

  await expect(tagged(targets[0]!)).resolves.toBeUndefined();
  await expect(tagged(targets[1]!)).rejects.toThrow('cannot tag b');
  await expect(tagged(targets[2]!)).resolves.toBeUndefined();
  expect(requests).toEqual(['a', 'b', 'c']);
});

test('a failure nobody has asked about yet is not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    const { engine, settleNext } = slowEngine(['a']);
    const targets = ['a'].map(target);
    const tagged = tagInTurn(engine, 'sha256:1', targets);
    await settleNext();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).toEqual([]);
    await expect(tagged(targets[0]!)).rejects.toThrow('cannot tag a');
  } finally {
    process.off('unhandledRejection', record);
  }
});
