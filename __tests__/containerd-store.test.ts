// Whole push streams of the engines whose streams differ from the
// graphdriver Docker engine's (Docker 29's containerd image store, Podman),
// read the way the action reads them: consumePushStream, then
// classifyPushFailure to decide on another attempt, then explainPushFailure
// for the message the user reads.
import {
  classifyPushFailure,
  explainPushFailure,
  isImmutableTagError,
} from '../src/push-errors.js';
import {
  consumePushStream,
  RegistryPushError,
  type PushEvent,
} from '../src/push-stream.js';
import type { FailureKind } from '../src/retry.js';
import * as engine from './fixtures/engine-streams.js';
import * as docker from './fixtures/push-streams.js';

const ref = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1';

async function* chunked(text: string, size: number) {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

/** Reads a stream that must fail; returns the error it failed with. */
async function failureOf(text: string): Promise<unknown> {
  try {
    await consumePushStream(chunked(text, 17), () => {});
  } catch (error) {
    return error;
  }
  throw new Error('the stream did not fail');
}

describe('streams without an aux line', () => {
  test.each([
    [
      'Docker 29 containerd store',
      docker.containerdSuccess,
      docker.FIXTURE_DIGEST,
      528,
    ],
    [
      'containerd store, layer mounted',
      engine.containerdMounted,
      engine.ENGINE_FIXTURE_DIGEST,
      856,
    ],
    [
      'Podman (\\n line ends, no layer lines)',
      engine.podmanSuccess,
      engine.ENGINE_FIXTURE_DIGEST,
      343,
    ],
  ])(
    '%s: the digest comes from the status line',
    async (_name, text, digest, size) => {
      for (const chunkSize of [1, 17, 4096]) {
        const events: PushEvent[] = [];
        const outcome = await consumePushStream(chunked(text, chunkSize), (e) =>
          events.push(e),
        );
        expect(outcome).toEqual({ digest, manifestSize: size });
        expect(events.filter((e) => e.type === 'digest')).toEqual([
          { type: 'digest', tag: 'v1', digest, size },
        ]);
      }
    },
  );
});

describe('registry errors as these engines word them', () => {
  test.each<[string, string, FailureKind, RegExp]>([
    [
      'containerd store: expired token',
      engine.containerdExpired,
      'token',
      /expired, also after fetching a new one.*runner clock/,
    ],
    [
      'containerd store (push-streams.ts fixture): expired token',
      docker.containerdDenied,
      'token',
      /expired, also after fetching a new one/,
    ],
    [
      'containerd store: missing repository',
      engine.containerdNameUnknown,
      'permanent',
      /The ECR repository does not exist\. Create it/,
    ],
    [
      'containerd store: missing IAM permission',
      engine.containerdNotAuthorized,
      'permanent',
      /needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload/,
    ],
    [
      'containerd store: rate limited',
      engine.containerdRateLimited,
      'transient',
      /rate limiting pushes, and 3 attempts did not get through/,
    ],
    [
      'Podman: password refused',
      engine.podmanUnauthorized,
      'token',
      /did not accept the ECR token, also after fetching a new one/,
    ],
  ])('%s', async (_name, text, kind, hint) => {
    const error = await failureOf(text);
    expect(error).toBeInstanceOf(RegistryPushError);
    expect(classifyPushFailure(error)).toBe(kind);
    const explained = explainPushFailure(ref, error, 3);
    // The engine's text is kept whole, then the cause and the fix.
    expect(explained.message).toContain(
      `Pushing ${ref} failed: ${(error as RegistryPushError).registryMessage}. `,
    );
    expect(explained.message).toMatch(hint);
  });

  test('an immutable tag is recognised through the containerd store too', async () => {
    const error = await failureOf(engine.containerdImmutable);
    expect(isImmutableTagError(error)).toBe(true);
    expect(classifyPushFailure(error)).toBe('permanent');
  });

  test('the wrapped text is read, not only its first code', async () => {
    // "error from registry: denied: …" must not be taken for an IAM denial
    // when the registry says the token expired.
    const error = await failureOf(engine.containerdExpired);
    expect(explainPushFailure(ref, error, 1).message).not.toMatch(
      /ecr:PutImage/,
    );
  });
});
