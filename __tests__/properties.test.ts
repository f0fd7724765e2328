// Property-based tests (fast-check) for the two places where outside data
// meets the action: the engine's push progress stream, and the user inputs
// that end up in Engine API URLs.
import fc from 'fast-check';
import { encodeName } from '../src/engine/client.js';
import { ActionError } from '../src/errors.js';
import {
  consumePushStream,
  PushStreamError,
  readJsonLines,
  RegistryPushError,
  type PushEvent,
  type PushOutcome,
} from '../src/push-stream.js';
import {
  ecrRepositoryProblem,
  formatLocalImage,
  isValidTag,
  parseLocalImage,
} from '../src/reference.js';

// The reader's cap, in characters of the current line (src/push-stream.ts).
const MAX_LINE = 1024 * 1024;
// A property run that takes longer than this counts as a hang.
const RUN_TIMEOUT_MS = 5_000;
// And a whole property that takes longer than this, too.
const TEST_TIMEOUT_MS = 20_000;

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------
// Stream helpers

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits `bytes` at the given offsets (any order, repeats give empty chunks). */
function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...offsets].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.slice(from, cut));
    from = cut;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}

/** Offsets of UTF-8 continuation bytes: cutting there splits a character. */
function insideCharacterOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  bytes.forEach((byte, index) => {
    if ((byte & 0xc0) === 0x80) offsets.push(index);
  });
  return offsets;
}

interface Run {
  outcome?: PushOutcome;
  error?: unknown;
  events: PushEvent[];
  raw: unknown[];
}

async function runConsume(chunks: AsyncIterable<Uint8Array>): Promise<Run> {
  const events: PushEvent[] = [];
  const raw: unknown[] = [];
  try {
    const outcome = await consumePushStream(
      chunks,
      (event) => events.push(event),
      (line) => raw.push(line),
    );
    return { outcome, events, raw };
  } catch (error) {
    return { error, events, raw };
  }
}

function isModuleError(error: unknown): boolean {
  return (
    (error instanceof PushStreamError || error instanceof RegistryPushError) &&
    error instanceof ActionError
  );
}

/** The push did not succeed, and failed only with the module's own errors. */
function expectFailedWithModuleError(run: Run): void {
  expect(run.outcome).toBeUndefined();
  if (!isModuleError(run.error)) {
    throw new Error(`consumePushStream threw ${describeThrown(run.error)}`);
  }
}

function describeThrown(error: unknown): string {
  return error instanceof Error
    ? `${error.constructor.name}: ${error.message}`
    : String(error);
}

// ---------------------------------------------------------------------------
// Push stream arbitraries

const hexChar = fc.constantFrom(...'0123456789abcdef');
const hex = (length: number) =>
  fc.string({ unit: hexChar, minLength: length, maxLength: length });
const digestArb = hex(64).map((h) => `sha256:${h}`);
const layerIdArb = hex(12);

const TAG_FIRST = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_',
];
const TAG_REST = [...TAG_FIRST, '.', '-'];
const validTagArb = fc
  .tuple(
    fc.constantFrom(...TAG_FIRST),
    fc.string({ unit: fc.constantFrom(...TAG_REST), maxLength: 127 }),
  )
  .map(([first, rest]) => first + rest);

// Text with characters of 2, 3 and 4 bytes in UTF-8 (and a ZWJ sequence).
const nonAsciiTextArb = fc.constantFrom(
  'über ✓',
  'Größe: 日本語のレイヤー',
  '🚀 pushing',
  'naïve — “quoted” ‹x›',
  'ß',
  '\u00a0no-break',
  'family 👩‍👩‍👧',
  'Ελληνικά',
);
const statusTextArb = fc.oneof(
  fc.constantFrom(
    'Preparing',
    'Waiting',
    'Pushing',
    'Pushed',
    'Layer already exists',
    'Retrying in 5 seconds',
    'Mounted from library/alpine',
  ),
  nonAsciiTextArb,
  fc.string({ unit: 'binary', maxLength: 30 }),
);

const layerLineArb = fc
  .record({
    status: statusTextArb,
    id: layerIdArb,
    detail: fc.option(
      fc.record({ current: fc.nat(), total: fc.nat() }, { requiredKeys: [] }),
      { nil: undefined },
    ),
    progress: fc.option(fc.string({ unit: 'binary', maxLength: 40 }), {
      nil: undefined,
    }),
  })
  .map(({ status, id, detail, progress }) => ({
    status,
    progressDetail: detail ?? {},
    ...(progress === undefined ? {} : { progress }),
    id,
  }));
const infoLineArb = fc.oneof(
  statusTextArb.map((status) => ({ status })),
  fc.constant({
    status:
      'The push refers to repository [123456789012.dkr.ecr.us-east-1.amazonaws.com/app]',
  }),
);
const progressLineArb = fc.oneof(layerLineArb, infoLineArb);

const digestStatusLine = (tag: string, digest: string, size: number) => ({
  status: `${tag}: digest: ${digest} size: ${size}`,
});
const auxLine = (tag: string, digest: string, size: number) => ({
  progressDetail: {},
  aux: { Tag: tag, Digest: digest, Size: size },
});

const toLine = (message: unknown) => `${JSON.stringify(message)}\r\n`;

interface RecordedStream {
  messages: object[];
  bytes: Uint8Array;
  digest: string;
  size: number;
}

/** A successful push as an engine writes it, always with non-ASCII text. */
const recordedStreamArb: fc.Arbitrary<RecordedStream> = fc
  .record({
    progress: fc.array(progressLineArb, { maxLength: 20 }),
    nonAscii: nonAsciiTextArb,
    nonAsciiAt: fc.nat(),
    tag: validTagArb,
    digest: digestArb,
    size: fc.nat({ max: 10_000_000 }),
    withAux: fc.boolean(),
    finalNewline: fc.boolean(),
    // Blank lines are not the engine's, but the reader skips them.
    blanks: fc.array(
      fc.tuple(fc.nat(), fc.constantFrom('\r\n', '\n', ' \r\n', '\t\n')),
      { maxLength: 3 },
    ),
  })
  .map((s) => {
    const progress: object[] = [...s.progress];
    progress.splice(s.nonAsciiAt % (progress.length + 1), 0, {
      status: s.nonAscii,
    });
    const messages = [
      ...progress,
      digestStatusLine(s.tag, s.digest, s.size),
      ...(s.withAux ? [auxLine(s.tag, s.digest, s.size)] : []),
    ];
    const lines = messages.map(toLine);
    for (const [at, blank] of s.blanks) {
      lines.splice(at % (lines.length + 1), 0, blank);
    }
    let text = lines.join('');
    if (!s.finalNewline) text = text.replace(/\s+$/, '');
    return {
      messages,
      bytes: encoder.encode(text),
      digest: s.digest,
      size: s.size,
    };
  });

/** Cut offsets for a byte string: anywhere, plus some inside characters. */
const cutsArb = fc.record({
  anywhere: fc.array(fc.nat(), { maxLength: 40 }),
  insideCharacters: fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
});
function cutsFor(
  bytes: Uint8Array,
  seeds: { anywhere: number[]; insideCharacters: number[] },
): number[] {
  const inside = insideCharacterOffsets(bytes);
  return [
    ...seeds.anywhere.map((n) => n % (bytes.length + 1)),
    ...(inside.length > 0
      ? seeds.insideCharacters.map((n) => inside[n % inside.length]!)
      : []),
  ];
}

// Progress messages with the keys the reader looks at, holding any JSON.
// `aux` never carries a Digest here, and no status can match the digest
// pattern by chance, so these never report a digest.
const messyMessageArb = fc.record(
  {
    status: fc.oneof(fc.jsonValue(), statusTextArb),
    id: fc.oneof(fc.jsonValue(), layerIdArb),
    progressDetail: fc.oneof(
      fc.jsonValue(),
      fc.record({ current: fc.jsonValue(), total: fc.jsonValue() }),
    ),
    progress: fc.jsonValue(),
    error: fc.jsonValue(),
    errorDetail: fc.oneof(
      fc.jsonValue(),
      fc.record({ message: fc.jsonValue() }, { requiredKeys: [] }),
    ),
    aux: fc.oneof(
      fc
        .jsonValue()
        .filter(
          (v) =>
            typeof v !== 'object' ||
            v === null ||
            Array.isArray(v) ||
            typeof (v as { Digest?: unknown }).Digest !== 'string',
        ),
      fc.record({ Tag: fc.jsonValue(), Size: fc.jsonValue() }),
    ),
  },
  { requiredKeys: [] },
);

const errorMessageArb = fc.oneof(
  fc.constantFrom(
    "name unknown: The repository with name 'app' does not exist in the " +
      "registry with id '123456789012'",
    'denied: Your authorization token has expired. Reauthenticate and try again.',
    'error from registry: über-quota ✓',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ maxLength: 60 }),
);

type ErrorForm = 'both' | 'both-different' | 'detail-only' | 'error-only';
const errorLineArb = fc
  .record({
    message: errorMessageArb,
    other: fc.string({ maxLength: 20 }),
    form: fc.constantFrom<ErrorForm>(
      'both',
      'both-different',
      'detail-only',
      'error-only',
    ),
  })
  .map(({ message, other, form }) => {
    switch (form) {
      case 'both':
        return { message, line: { errorDetail: { message }, error: message } };
      case 'both-different':
        // errorDetail.message is the newer field and wins.
        return { message, line: { errorDetail: { message }, error: other } };
      case 'detail-only':
        return { message, line: { errorDetail: { message } } };
      case 'error-only':
        return { message, line: { error: message } };
    }
  });

// Parts of a stream that may be broken: each says whether it is a digest line.
interface Part {
  bytes: Uint8Array;
  digest?: string;
}
const textPart = (text: string): Part => ({ bytes: encoder.encode(text) });
const garbagePartArb: fc.Arbitrary<Part> = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((bytes) => ({ bytes })),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => textPart(`${s}\r\n`)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => textPart(toLine(v))),
  messyMessageArb.map((m) => textPart(toLine(m))),
  fc.tuple(progressLineArb, fc.nat()).map(([m, n]) => {
    const line = encoder.encode(toLine(m));
    return { bytes: line.slice(0, n % line.length) }; // cut short
  }),
  fc.constantFrom(
    textPart('\r\n'),
    textPart('\n\n'),
    textPart('   \r\n'),
    textPart('<html><body>502 Bad Gateway</body></html>\r\n'),
    { bytes: new Uint8Array([0xe2, 0x9c]) }, // half a character
    { bytes: new Uint8Array([0xff, 0xfe, 0x00, 0x0a]) },
  ),
);
const validPartArb = (digest: string): fc.Arbitrary<Part> =>
  fc.oneof(
    progressLineArb.map((m) => textPart(toLine(m))),
    errorLineArb.map(({ line }) => textPart(toLine(line))),
    fc.tuple(validTagArb, fc.nat()).map(([tag, size]) => ({
      ...textPart(toLine(digestStatusLine(tag, digest, size))),
      digest,
    })),
    fc.tuple(validTagArb, fc.nat()).map(([tag, size]) => ({
      ...textPart(toLine(auxLine(tag, digest, size))),
      digest,
    })),
  );

// ---------------------------------------------------------------------------
// Push stream properties

describe('push stream reader (properties)', () => {
  test(
    'any chunking of a recorded stream, even inside characters, reads the same',
    async () => {
      await fc.assert(
        fc.asyncProperty(recordedStreamArb, cutsArb, async (stream, seeds) => {
          const chunks = splitAt(stream.bytes, cutsFor(stream.bytes, seeds));
          expect(concat(chunks)).toEqual(stream.bytes);

          const lines = await collect(readJsonLines(fromChunks(chunks)));
          expect(lines).toEqual(stream.messages);

          const whole = await runConsume(fromChunks([stream.bytes]));
          const split = await runConsume(fromChunks(chunks));
          expect(whole.error).toBeUndefined();
          expect(whole.outcome).toEqual({
            digest: stream.digest,
            manifestSize: stream.size,
          });
          expect(split).toEqual(whole);
        }),
        { numRuns: 100, timeout: RUN_TIMEOUT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'arbitrary bytes only ever fail with the module’s own errors',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }),
          async (chunks) => {
            try {
              await collect(readJsonLines(fromChunks(chunks)));
            } catch (error) {
              if (!(error instanceof PushStreamError)) {
                throw new Error(
                  `readJsonLines threw ${describeThrown(error)}`,
                  {
                    cause: error,
                  },
                );
              }
            }
            const run = await runConsume(fromChunks(chunks));
            // Random bytes carry no digest line: this must never succeed.
            expectFailedWithModuleError(run);
          },
        ),
        { numRuns: 200, timeout: RUN_TIMEOUT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'valid lines mixed with garbage, cut anywhere: settles, with a module error or a real digest',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          digestArb.chain((digest) =>
            fc.array(fc.oneof(validPartArb(digest), garbagePartArb), {
              maxLength: 15,
            }),
          ),
          fc.array(fc.nat(), { maxLength: 20 }),
          async (parts, seeds) => {
            const bytes = concat(parts.map((p) => p.bytes));
            const chunks = splitAt(
              bytes,
              seeds.map((n) => n % (bytes.length + 1)),
            );
            const run = await runConsume(fromChunks(chunks));
            if (run.outcome) {
              const digests = parts.flatMap((p) =>
                p.digest ? [p.digest] : [],
              );
              expect(digests).toContain(run.outcome.digest);
            } else if (!isModuleError(run.error)) {
              throw new Error(
                `consumePushStream threw ${describeThrown(run.error)}`,
              );
            }
          },
        ),
        { numRuns: 200, timeout: RUN_TIMEOUT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a stream without a digest line never succeeds',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              progressLineArb.map((m) => textPart(toLine(m))),
              garbagePartArb,
            ),
            { maxLength: 15 },
          ),
          fc.array(fc.nat(), { maxLength: 20 }),
          async (parts, seeds) => {
            const bytes = concat(parts.map((p) => p.bytes));
            const chunks = splitAt(
              bytes,
              seeds.map((n) => n % (bytes.length + 1)),
            );
            const run = await runConsume(fromChunks(chunks));
            expectFailedWithModuleError(run);
          },
        ),
        { numRuns: 200, timeout: RUN_TIMEOUT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'an error line anywhere fails the push with its message, even after the digest',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            before: fc.array(progressLineArb, { maxLength: 10 }),
            digestBefore: fc.option(
              fc.record({
                tag: validTagArb,
                digest: digestArb,
                size: fc.nat(),
                at: fc.nat(),
                withAux: fc.boolean(),
              }),
              { nil: undefined },
            ),
            error: errorLineArb,
            // What follows the error line is never acted on, even a
            // second, different digest.
            after: fc.array(
              fc.oneof(
                progressLineArb,
                fc
                  .tuple(validTagArb, digestArb, fc.nat())
                  .map(([t, d, n]) => digestStatusLine(t, d, n)),
              ),
              { maxLength: 5 },
            ),
            finalNewline: fc.boolean(),
          }),
          cutsArb,
          async (s, seeds) => {
            const before: object[] = [...s.before];
            const d = s.digestBefore;
            if (d) {
              before.splice(
                d.at % (before.length + 1),
                0,
                digestStatusLine(d.tag, d.digest, d.size),
                ...(d.withAux ? [auxLine(d.tag, d.digest, d.size)] : []),
              );
            }
            let text = [...before, s.error.line, ...s.after]
              .map(toLine)
              .join('');
            if (!s.finalNewline) text = text.slice(0, -2);
            const bytes = encoder.encode(text);
            const run = await runConsume(
              fromChunks(splitAt(bytes, cutsFor(bytes, seeds))),
            );
            expect(run.outcome).toBeUndefined();
            expect(run.error).toBeInstanceOf(RegistryPushError);
            const error = run.error as RegistryPushError;
            expect(error.registryMessage).toBe(s.error.message);
            expect(error.message).toBe(s.error.message);
            // Reading stopped at the error line.
            expect(run.raw).toEqual([...before, s.error.line]);
          },
        ),
        { numRuns: 150, timeout: RUN_TIMEOUT_MS },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('push stream reader: bounded memory (properties)', () => {
  const STREAM_BYTES = 8 * 1024 * 1024;

  /**
   * An endless-looking line produced lazily, after some valid lines: counts
   * the bytes of the long line handed out, and whether the reader closed it.
   */
  function hugeLineSource(prefix: Uint8Array, fill: string, chunkSize: number) {
    const unit = encoder.encode(fill);
    const block = new Uint8Array(
      Math.max(unit.length, chunkSize - (chunkSize % unit.length)),
    );
    for (let i = 0; i + unit.length <= block.length; i += unit.length) {
      block.set(unit, i);
    }
    const state = { lineBytes: 0, closed: false, exhausted: false, block };
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield prefix;
        const start = encoder.encode('{"status":"');
        state.lineBytes += start.length;
        yield start;
        while (state.lineBytes < STREAM_BYTES) {
          state.lineBytes += block.length;
          yield block;
        }
        state.exhausted = true;
      } finally {
        state.closed = true;
      }
    }
    return { state, source };
  }

  const prefixArb = fc
    .array(progressLineArb, { maxLength: 5 })
    .map((ms) => encoder.encode(ms.map(toLine).join('')));

  test(
    'a huge single-byte line is rejected within the cap plus one chunk',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          prefixArb,
          fc.constantFrom('a', ' ', '\r', '{', '"', '\\'),
          fc.integer({ min: 16 * 1024, max: 256 * 1024 }),
          async (prefix, fill, chunkSize) => {
            const { state, source } = hugeLineSource(prefix, fill, chunkSize);
            const run = await runConsume(source());
            expect(run.outcome).toBeUndefined();
            expect(run.error).toBeInstanceOf(PushStreamError);
            expect((run.error as Error).message).toMatch(/longer than/);
            expect(state.exhausted).toBe(false);
            expect(state.closed).toBe(true);
            // It read past the cap (so the cap, not something else, stopped
            // it), but no more than one chunk past it.
            expect(state.lineBytes).toBeGreaterThan(MAX_LINE);
            expect(state.lineBytes).toBeLessThanOrEqual(
              MAX_LINE + state.block.length,
            );
          },
        ),
        { numRuns: 12, timeout: 10_000 },
      );
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a huge multi-byte line is rejected within 3 bytes a character of the cap',
    async () => {
      // The cap counts UTF-16 code units, not bytes: a line of 3-byte
      // characters is read up to about 3 MiB before it is rejected.
      await fc.assert(
        fc.asyncProperty(
          prefixArb,
          fc.constantFrom('ü', '✓', '日', '🚀', 'a✓'),
          fc.integer({ min: 16 * 1024, max: 256 * 1024 }),
          async (prefix, fill, chunkSize) => {
            const { state, source } = hugeLineSource(prefix, fill, chunkSize);
            const run = await runConsume(source());
            expect(run.error).toBeInstanceOf(PushStreamError);
            expect(state.exhausted).toBe(false);
            expect(state.closed).toBe(true);
            expect(state.lineBytes).toBeLessThanOrEqual(
              3 * (MAX_LINE + 1) + state.block.length,
            );
          },
        ),
        { numRuns: 6, timeout: 10_000 },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

// Counterexamples the properties above once found, kept as regressions.
describe('consumePushStream regressions', () => {
  const good = `sha256:${'a'.repeat(64)}`;
  test.each([
    ['{"errorDetail":{"message":{"toString":1}}}'],
    ['{"errorDetail":1,"error":{"toString":1}}'],
    [`{"aux":{"Digest":"${good}","Size":{"toString":1}}}`],
  ])(
    'a JSON object where a string is expected fails with a module error: %s',
    async (line) => {
      const run = await runConsume(fromChunks([encoder.encode(`${line}\r\n`)]));
      expect(run.outcome).toBeUndefined();
      expect(isModuleError(run.error)).toBe(true);
    },
  );

  test.each([
    ['{"aux":{"Digest":""}}'],
    ['{"aux":{"Digest":"not a digest","Size":"big"}}'],
    [`{"aux":{"Digest":"${good}","Size":-5}}`],
    [`{"aux":{"Digest":"${good}","Tag":{"toString":1}}}`],
  ])(
    'an aux line succeeds only with a well-formed digest and size: %s',
    async (line) => {
      const run = await runConsume(fromChunks([encoder.encode(`${line}\r\n`)]));
      if (run.outcome) {
        expect(run.outcome.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
        expect(Number.isSafeInteger(run.outcome.manifestSize)).toBe(true);
        expect(run.outcome.manifestSize).toBeGreaterThanOrEqual(0);
      } else {
        expect(run.error).toBeInstanceOf(PushStreamError);
      }
    },
  );
});

// ---------------------------------------------------------------------------
// Reference arbitraries

const LOWER_ALNUM = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const alnumRun = (maxLength: number) =>
  fc.string({
    unit: fc.constantFrom(...LOWER_ALNUM),
    minLength: 1,
    maxLength,
  });

/** Docker path component: alnum runs joined by ".", "_", "__" or "-"+. */
const dockerSeparatorArb = fc.oneof(
  fc.constantFrom('.', '_', '__'),
  fc.integer({ min: 1, max: 3 }).map((n) => '-'.repeat(n)),
);
const dockerComponentArb = fc
  .tuple(
    alnumRun(8),
    fc.array(fc.tuple(dockerSeparatorArb, alnumRun(8)), { maxLength: 3 }),
  )
  .map(([first, rest]) => first + rest.map(([s, r]) => s + r).join(''));
const dockerPathArb = fc
  .array(dockerComponentArb, { minLength: 1, maxLength: 4 })
  .map((cs) => cs.join('/'));

const DOMAIN_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
];
const domainComponentArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...DOMAIN_CHARS),
    minLength: 1,
    maxLength: 10,
  }),
  fc
    .tuple(
      fc.constantFrom(...DOMAIN_CHARS),
      fc.string({ unit: fc.constantFrom(...DOMAIN_CHARS, '-'), maxLength: 8 }),
      fc.constantFrom(...DOMAIN_CHARS),
    )
    .map(([a, b, c]) => a + b + c),
);
const portArb = fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`);
/** A registry host, in a form Docker reads as a host (dot, port, case). */
const domainArb = fc.oneof(
  fc
    .tuple(
      fc.array(domainComponentArb, { minLength: 1, maxLength: 3 }),
      fc.option(portArb, { nil: '' }),
    )
    .map(([cs, port]) => cs.join('.') + port)
    .filter((d) => /[.:A-Z]/.test(d)),
  fc.option(portArb, { nil: '' }).map((port) => `localhost${port}`),
);

function refText(r: Omit<GeneratedRef, 'text'>): string {
  return (
    (r.domain !== undefined ? `${r.domain}/` : '') +
    r.path +
    (r.tag !== undefined ? `:${r.tag}` : '') +
    (r.digest !== undefined ? `@${r.digest}` : '')
  );
}

interface GeneratedRef {
  text: string;
  domain?: string;
  path: string;
  tag?: string;
  digest?: string;
}
const validRefArb: fc.Arbitrary<GeneratedRef> = fc
  .record({
    domain: fc.option(domainArb, { nil: undefined }),
    path: dockerPathArb,
    tag: fc.option(validTagArb, { nil: undefined }),
    digest: fc.option(digestArb, { nil: undefined }),
  })
  // Without a host, a first component with a dot would be read as a host.
  .filter(
    (r) =>
      r.domain !== undefined ||
      !r.path.includes('/') ||
      !r.path.split('/')[0]!.includes('.'),
  )
  .map((r) => ({ ...r, text: refText(r) }));
const imageIdArb = fc.oneof(
  digestArb,
  fc.integer({ min: 12, max: 64 }).chain((n) => hex(n)),
);

/** ECR: alnum runs joined by one ".", "_" or "-"; "/" between components. */
const ecrComponentArb = fc
  .tuple(
    alnumRun(12),
    fc.array(fc.tuple(fc.constantFrom('.', '_', '-'), alnumRun(12)), {
      maxLength: 5,
    }),
  )
  .map(([first, rest]) => first + rest.map(([s, r]) => s + r).join(''));
const ecrNameAnyLengthArb = fc
  .array(ecrComponentArb, { minLength: 1, maxLength: 6 })
  .map((cs) => cs.join('/'));
const validEcrNameArb = fc.oneof(
  ecrNameAnyLengthArb.filter((n) => n.length >= 2 && n.length <= 256),
  // Near the upper bound.
  fc
    .tuple(alnumRun(12), fc.integer({ min: 200, max: 256 }))
    .map(([run, length]) =>
      run.repeat(Math.ceil(length / run.length)).slice(0, length),
    ),
);

const registryArb = fc.oneof(
  fc
    .tuple(
      fc.string({
        unit: fc.constantFrom(...'0123456789'),
        minLength: 12,
        maxLength: 12,
      }),
      fc.constantFrom(
        'us-east-1',
        'eu-central-1',
        'cn-north-1',
        'us-gov-west-1',
      ),
    )
    .map(([account, region]) => `${account}.dkr.ecr.${region}.amazonaws.com`),
  fc.constantFrom('localhost:4566', 'ecr.local:5000'),
);

// Characters and pieces that have broken URL building elsewhere.
const dangerousTokenArb = fc.constantFrom(
  '..',
  '.',
  '/',
  '//',
  '?',
  '#',
  '%',
  '%2e',
  '%2E%2e',
  '%2f',
  '%00',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  '@',
  ':',
  '\\',
  '&',
  '=',
  '+',
  ';',
  'A',
  'Z',
  'É',
  'é',
  'ß',
  'ı',
  '\u212a', // Kelvin sign, lower-cases to "k"
  '\uff0e', // fullwidth full stop
  '\u2024', // one dot leader
  '\ud800', // lone surrogates
  '\udfff',
  '😀',
  '_',
  '__',
  '___',
  '-',
  'sha256:',
  'localhost',
);
const dangerousStringArb = fc
  .array(fc.oneof(dangerousTokenArb, alnumRun(4)), { maxLength: 12 })
  .map((parts) => parts.join(''));
/** A valid value with one dangerous piece inserted, or one character replaced. */
const nearlyValidArb = fc
  .tuple(
    fc.oneof(
      validRefArb.map((r) => r.text),
      validTagArb,
      validEcrNameArb,
    ),
    fc.nat(),
    dangerousTokenArb,
    fc.boolean(),
  )
  .map(([valid, at, token, replace]) => {
    const i = at % (valid.length + 1);
    return valid.slice(0, i) + token + valid.slice(replace ? i + 1 : i);
  });
/** Strings that look like image IDs, or nearly. */
const idLikeArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...'0123456789abcdef', '.', '..', '/', ':', 'A'),
    minLength: 10,
    maxLength: 70,
  }),
  fc
    .tuple(hex(64), fc.nat(), fc.constantFrom('.', '/', '..', 'G', 'A', ''))
    .map(([h, at, token]) => {
      const i = at % 65;
      return `sha256:${h.slice(0, i)}${token}${h.slice(i + 1)}`;
    }),
);
const anyInputArb = fc.oneof(
  idLikeArb,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom(...'aZ09._-/:@?#% \n\r\0'),
    maxLength: 24,
  }),
  dangerousStringArb,
  nearlyValidArb,
  // Valid values too, so that the URL checks below run often.
  validRefArb.map((r) => r.text),
  validTagArb,
  validEcrNameArb,
  imageIdArb,
);

// ---------------------------------------------------------------------------
// Engine path checks, built exactly as src/engine/client.ts builds them

const API = '/v1.41';

/** A value that passed validation: nothing that can change a URL's shape. */
function expectSafeValue(value: string): void {
  expect(value).not.toMatch(/[?#% \n\r\0]/);
  expect(value.split('/')).not.toContain('..');
  expect(value.split('/')).not.toContain('.');
  expect(value).not.toBe('');
}

function expectEnginePath(
  path: string,
  suffix: '/json' | '/push' | '/tag',
  name: string,
  query: Record<string, string>,
): void {
  const url = new URL(path, 'http://localhost');
  const prefix = `${API}/images/`;
  expect(url.origin).toBe('http://localhost');
  expect(url.hash).toBe('');
  // Parsing left the path as written: no dot segment was folded away.
  expect(url.pathname).toBe(path.split('?')[0]);
  expect(url.pathname.startsWith(prefix)).toBe(true);
  expect(url.pathname.endsWith(suffix)).toBe(true);
  const segments = url.pathname.slice(prefix.length, -suffix.length).split('/');
  for (const segment of segments) {
    expect(['.', '..', '']).not.toContain(segment);
    expect(['.', '..']).not.toContain(decodeURIComponent(segment));
  }
  // One path segment per component of the name, each decoding to it.
  expect(segments.map(decodeURIComponent)).toEqual(name.split('/'));
  expect([...url.searchParams]).toEqual(Object.entries(query));
  if (Object.keys(query).length === 0) expect(url.search).toBe('');
}

function expectInspectPath(name: string): void {
  expectEnginePath(`${API}/images/${encodeName(name)}/json`, '/json', name, {});
}

function expectPushPath(repo: string, tag: string): void {
  expectEnginePath(
    `${API}/images/${encodeName(repo)}/push?${new URLSearchParams({ tag })}`,
    '/push',
    repo,
    { tag },
  );
}

function expectTagPath(id: string, repo: string, tag: string): void {
  expectEnginePath(
    `${API}/images/${encodeName(id)}/tag?${new URLSearchParams({ repo, tag })}`,
    '/tag',
    id,
    { repo, tag },
  );
}

// ---------------------------------------------------------------------------
// Input validation properties

describe('input validation (properties)', () => {
  test('whatever passes validation builds engine URLs that say exactly what was meant', () => {
    fc.assert(
      fc.property(
        anyInputArb,
        registryArb,
        imageIdArb,
        validEcrNameArb,
        validTagArb,
        (input, registry, someId, someRepo, someTag) => {
          const image = parseLocalImage(input);
          if (image) {
            expectSafeValue(input);
            // What the action inspects is the input, unchanged.
            expect(formatLocalImage(image)).toBe(input);
            expectInspectPath(formatLocalImage(image));
            if (image.kind === 'id') {
              expectTagPath(image.id, `${registry}/${someRepo}`, someTag);
            } else {
              expectSafeValue(image.path);
              if (image.tag !== undefined)
                expect(isValidTag(image.tag)).toBe(true);
            }
          }
          if (isValidTag(input)) {
            expectSafeValue(input);
            expect(input).not.toContain('/');
            expectPushPath(`${registry}/${someRepo}`, input);
            expectTagPath(someId, `${registry}/${someRepo}`, input);
          }
          if (ecrRepositoryProblem(input) === undefined) {
            expectSafeValue(input);
            const repo = `${registry}/${input}`;
            expectPushPath(repo, someTag);
            expectTagPath(someId, repo, someTag);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('generated Docker references are accepted and format back unchanged', () => {
    fc.assert(
      fc.property(validRefArb, (ref) => {
        const image = parseLocalImage(ref.text);
        expect(image).toBeDefined();
        expect(formatLocalImage(image!)).toBe(ref.text);
        if (image!.kind === 'id') {
          // Only a bare hex string is read as an image ID.
          expect(ref.text).toMatch(/^[a-f0-9]{12,64}$/);
          return;
        }
        expect(image!.tag).toBe(ref.tag);
        expect(image!.digest).toBe(ref.digest);
        const name = ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
        expect((image!.domain ? `${image!.domain}/` : '') + image!.path).toBe(
          name,
        );
        if (ref.domain) {
          expect(image!.domain).toBe(ref.domain);
          expect(image!.path).toBe(ref.path);
        }
        expectInspectPath(ref.text);
      }),
      { numRuns: 500 },
    );
  });

  test('generated references broken in one known way are refused', () => {
    type Mutation = (r: GeneratedRef) => string;
    const withLast = (r: GeneratedRef, change: (last: string) => string) => {
      const components = r.path.split('/');
      const last = components.pop()!;
      return refText({ ...r, path: [...components, change(last)].join('/') });
    };
    const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
      // An uppercase letter in the last path component.
      fc.tuple(fc.constantFrom(...'AQZ'), fc.nat()).map(
        ([upper, at]): Mutation =>
          (r) =>
            withLast(r, (last) => {
              const i = at % (last.length + 1);
              return last.slice(0, i) + upper + last.slice(i);
            }),
      ),
      // A separator Docker does not allow, or a separator at an end.
      fc.constantFrom('..', '___', '._', '_.', '.-', '-.', '_-', '-_').map(
        (sep): Mutation =>
          (r) =>
            withLast(r, (last) => `${last}${sep}x`),
      ),
      fc.constantFrom('.', '_', '__', '-').map(
        (sep): Mutation =>
          (r) =>
            withLast(r, (last) => `${last}${sep}`),
      ),
      fc.constantFrom('.', '_', '-').map(
        (sep): Mutation =>
          (r) =>
            withLast(r, (last) => `${sep}${last}`),
      ),
      // Empty path components.
      fc.constantFrom<Mutation>(
        (r) => refText({ ...r, path: `${r.path}/` }),
        (r) => refText({ ...r, path: r.path.replace(/^([^/]*)/, '$1/') }),
        (r) => `/${r.text}`,
      ),
      // A path longer than 255 characters.
      fc.constant<Mutation>((r) =>
        refText({ ...r, path: r.path + 'a'.repeat(256 - r.path.length) }),
      ),
      // Bad tags.
      fc.constantFrom<Mutation>(
        (r) => refText({ ...r, tag: '' }),
        (r) => refText({ ...r, tag: `.${r.tag ?? 'x'}` }),
        (r) => refText({ ...r, tag: `-${r.tag ?? 'x'}` }),
        (r) => refText({ ...r, tag: (r.tag ?? 'x').padEnd(129, 'x') }),
        (r) => refText({ ...r, tag: `${r.tag ?? 'x'}+y` }),
      ),
      // Bad ports.
      fc.constantFrom(':', ':abc', ':5000:1', ':-1').map(
        (port): Mutation =>
          (r) =>
            refText({
              ...r,
              domain: (r.domain ?? 'localhost').replace(/:\d+$/, '') + port,
            }),
      ),
      // Bad digests.
      fc.constantFrom<Mutation>(
        (r) => refText({ ...r, digest: `sha256:${'a'.repeat(63)}` }),
        (r) => refText({ ...r, digest: `sha256:${'A'.repeat(64)}` }),
        (r) => refText({ ...r, digest: `sha512:${'a'.repeat(64)}` }),
        (r) => refText({ ...r, digest: '' }),
      ),
    );
    fc.assert(
      fc.property(validRefArb, mutationArb, (ref, mutate) => {
        const bad = mutate(ref);
        expect(bad).not.toBe(ref.text);
        expect(parseLocalImage(bad)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  test('tags: generated valid tags pass; a bad first character, a bad character or length 129+ fail', () => {
    fc.assert(
      fc.property(
        validTagArb,
        fc.constantFrom('.', '-'),
        fc.nat(),
        fc.constantFrom('/', ':', '@', ' ', '+', 'é', '\n', '%', '?', '#'),
        (tag, badFirst, at, badChar) => {
          expect(isValidTag(tag)).toBe(true);
          expect(isValidTag(badFirst + tag.slice(1))).toBe(false);
          const i = at % (tag.length + 1);
          expect(isValidTag(tag.slice(0, i) + badChar + tag.slice(i))).toBe(
            false,
          );
          expect(isValidTag(tag.padEnd(129, tag))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('ECR names from ECR’s grammar, 2 to 256 characters, are accepted', () => {
    fc.assert(
      fc.property(validEcrNameArb, (name) => {
        expect(ecrRepositoryProblem(name)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  test('ECR names with "__", "--", "..", "//", uppercase, a leading or trailing separator, or 257+ characters are refused', () => {
    const mutationArb = fc.oneof(
      // A doubled separator between two characters of a component.
      fc
        .tuple(fc.constantFrom('__', '--', '..', '._', '-_', '//'), fc.nat())
        .map(([sep, at]) => (name: string) => {
          const runs = [...name.matchAll(/[a-z0-9]{2,}/g)];
          const run = runs[at % Math.max(runs.length, 1)];
          if (!run) return `a${sep}b${name}`;
          const i = run.index + 1;
          return name.slice(0, i) + sep + name.slice(i);
        }),
      fc
        .tuple(fc.constantFrom(...'ABCXYZ'), fc.nat())
        .map(([upper, at]) => (name: string) => {
          const i = at % (name.length + 1);
          return name.slice(0, i) + upper + name.slice(i);
        }),
      fc
        .constantFrom('.', '_', '-', '/')
        .map((sep) => (name: string) => `${sep}${name}`),
      fc
        .constantFrom('.', '_', '-', '/')
        .map((sep) => (name: string) => `${name}${sep}`),
      fc.constant((name: string) => name.padEnd(257, name.replace(/\//g, ''))),
      fc.constant((name: string) => name.slice(0, 1)),
    );
    fc.assert(
      fc.property(validEcrNameArb, mutationArb, (name, mutate) => {
        const bad = mutate(name);
        expect(bad).not.toBe(name);
        expect(ecrRepositoryProblem(bad)).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  test('Docker paths with "__" or "--" are valid images but not valid ECR names', () => {
    fc.assert(
      fc.property(
        alnumRun(6),
        fc.constantFrom('__', '--', '---'),
        alnumRun(6),
        (a, sep, b) => {
          const path = `${a}${sep}${b}`;
          expect(parseLocalImage(path)).toMatchObject({ kind: 'name', path });
          expect(ecrRepositoryProblem(path)).toBeDefined();
        },
      ),
      { numRuns: 100 },
    );
  });
});
