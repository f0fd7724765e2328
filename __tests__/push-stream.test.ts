import {
  consumePushStream,
  interpretPushMessage,
  PushStreamError,
  readJsonLines,
  RegistryPushError,
  type PushEvent,
} from '../src/push-stream.js';
import * as streams from './fixtures/push-streams.js';

async function* chunked(text: string | Uint8Array, size: number) {
  const bytes =
    typeof text === 'string' ? new TextEncoder().encode(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readJsonLines', () => {
  test.each([1, 2, 7, 64, 100_000])(
    'gives the same lines for chunks of %i bytes',
    async (size) => {
      const lines = await collect(
        readJsonLines(chunked(streams.graphdriverSuccess, size)),
      );
      expect(lines).toHaveLength(8);
      expect(lines[7]).toEqual({
        progressDetail: {},
        aux: expect.objectContaining({ Tag: 'v1' }),
      });
    },
  );

  test('keeps a multi-byte character split across chunks', async () => {
    const lines = await collect(
      readJsonLines(chunked('{"status":"über ✓"}\r\n', 1)),
    );
    expect(lines).toEqual([{ status: 'über ✓' }]);
  });

  test('reads a last line without newline', async () => {
    expect(
      await collect(readJsonLines(chunked('{"a":1}\r\n{"b":2}', 3))),
    ).toEqual([{ a: 1 }, { b: 2 }]);
  });

  test('fails on a line that is not JSON', async () => {
    await expect(
      collect(readJsonLines(chunked('{"a":1}\r\n<html>502</html>\r\n', 5))),
    ).rejects.toThrow(PushStreamError);
  });

  test('fails on an endless line instead of buffering it', async () => {
    async function* endless() {
      const block = new Uint8Array(64 * 1024).fill(0x61);
      for (let i = 0; i < 64; i++) yield block;
    }
    await expect(collect(readJsonLines(endless()))).rejects.toThrow(
      /longer than/,
    );
  });
});

describe('interpretPushMessage', () => {
  test.each<[unknown, PushEvent[]]>([
    [
      { status: 'Preparing', id: 'abc', progressDetail: {} },
      [
        {
          type: 'layer',
          id: 'abc',
          status: 'Preparing',
          current: undefined,
          total: undefined,
        },
      ],
    ],
    [
      {
        status: 'Pushing',
        id: 'abc',
        progressDetail: { current: 5, total: 10 },
      },
      [{ type: 'layer', id: 'abc', status: 'Pushing', current: 5, total: 10 }],
    ],
    [
      { errorDetail: { message: 'denied: x' }, error: 'denied: x' },
      [{ type: 'error', message: 'denied: x' }],
    ],
    [
      { error: 'only the old field' },
      [{ type: 'error', message: 'only the old field' }],
    ],
    [
      { status: 'The push refers to repository [x/y]' },
      [{ type: 'info', message: 'The push refers to repository [x/y]' }],
    ],
    [
      { status: `t: digest: ${streams.FIXTURE_DIGEST} size: 9` },
      [{ type: 'digest', tag: 't', digest: streams.FIXTURE_DIGEST, size: 9 }],
    ],
    [
      { aux: { Tag: 't', Digest: streams.FIXTURE_DIGEST, Size: 9 } },
      [{ type: 'digest', tag: 't', digest: streams.FIXTURE_DIGEST, size: 9 }],
    ],
    [null, []],
    [42, []],
    [['x'], []],
    [{}, []],
  ])('%j', (message, events) => {
    expect(interpretPushMessage(message)).toEqual(events);
  });
});

describe('consumePushStream', () => {
  test.each([
    ['graphdriver (status and aux)', streams.graphdriverSuccess],
    ['containerd store / Podman (status only)', streams.containerdSuccess],
  ])('finds the digest: %s', async (_name, text) => {
    const events: PushEvent[] = [];
    const outcome = await consumePushStream(chunked(text, 13), (e) =>
      events.push(e),
    );
    expect(outcome).toEqual({
      digest: streams.FIXTURE_DIGEST,
      manifestSize: 528,
    });
    expect(
      events.some((e) => e.type === 'layer' && e.status === 'Pushed'),
    ).toBe(true);
  });

  test.each([
    ['graphdriver name unknown', streams.nameUnknown, /name unknown/],
    [
      'containerd store denied',
      streams.containerdDenied,
      /error from registry: denied/,
    ],
  ])('an error line fails the push: %s', async (_name, text, message) => {
    const failure = consumePushStream(chunked(text, 50), () => {});
    await expect(failure).rejects.toThrow(RegistryPushError);
    await expect(
      consumePushStream(chunked(text, 50), () => {}),
    ).rejects.toThrow(message);
  });

  test('a stream that ends without a digest is a failure', async () => {
    await expect(
      consumePushStream(chunked(streams.truncated, 50), () => {}),
    ).rejects.toThrow(/ended without a digest/);
  });

  test('an empty stream is a failure', async () => {
    await expect(consumePushStream(chunked('', 1), () => {})).rejects.toThrow(
      /without a digest/,
    );
  });

  test('two different digests are a failure', async () => {
    const other = `sha256:${'e'.repeat(64)}`;
    const text = `${JSON.stringify({ status: `v1: digest: ${streams.FIXTURE_DIGEST} size: 1` })}\r\n${JSON.stringify({ aux: { Tag: 'v1', Digest: other, Size: 1 } })}\r\n`;
    await expect(consumePushStream(chunked(text, 9), () => {})).rejects.toThrow(
      /two digests/,
    );
  });
});
