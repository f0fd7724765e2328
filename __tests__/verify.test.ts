import { jest } from '@jest/globals';
import { BatchGetImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import type { PushedReference } from '../src/push.js';
import type { PushTarget } from '../src/targets.js';

jest.unstable_mockModule('@actions/core', () => ({
  warning: jest.fn(),
  debug: jest.fn(),
}));
const { AwsClients } = await import('../src/aws-clients.js');
const { Verifier } = await import('../src/verify.js');

const ecr = mockClient(ECRClient);
const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;

function pushed(tag: string, digest = DIGEST): PushedReference {
  const target: PushTarget = {
    registry: {
      kind: 'private',
      host: HOST,
      accountId: '123456789012',
      region: 'us-east-1',
      fips: false,
      dualStack: false,
    },
    repository: 'app',
    tag,
  };
  return { target, reference: `${HOST}/app:${tag}`, digest, manifestSize: 1 };
}

/** ECR answers with `digest` for every tag it is asked about. */
function ecrHolds(digest: string) {
  ecr.on(BatchGetImageCommand).callsFake((input: { imageIds: [] }) => ({
    images: input.imageIds.map(({ imageTag }: { imageTag: string }) => ({
      imageId: { imageTag, imageDigest: digest },
    })),
  }));
}

const askedTags = () =>
  ecr
    .commandCalls(BatchGetImageCommand)
    .map((call) => call.args[0].input.imageIds!.map((id) => id.imageTag));

beforeEach(() => ecr.reset());

test('asks about each reference once added; those added together share a call', async () => {
  ecrHolds(DIGEST);
  const verifier = new Verifier(new AwsClients({}));
  const [a, b, c] = [pushed('a'), pushed('b'), pushed('c')];

  verifier.add(a);
  await new Promise((resolve) => setImmediate(resolve));
  // "a" is being asked about before the other pushes are done.
  expect(askedTags()).toEqual([['a']]);

  verifier.add(b);
  verifier.add(c);
  const results = await verifier.results([a, b, c]);
  expect(askedTags()).toEqual([['a'], ['b', 'c']]);
  expect(results.map((r) => [r.reference, r.verified])).toEqual([
    [a.reference, true],
    [b.reference, true],
    [c.reference, true],
  ]);
});

test('a reference never added is still verified by results()', async () => {
  ecrHolds(DIGEST);
  const verifier = new Verifier(new AwsClients({}));
  const results = await verifier.results([pushed('late')]);
  expect(askedTags()).toEqual([['late']]);
  expect(results[0]!.verified).toBe(true);
});

test('a digest ECR contradicts fails, whichever batch found it', async () => {
  ecrHolds(`sha256:${'b'.repeat(64)}`);
  const verifier = new Verifier(new AwsClients({}));
  verifier.add(pushed('a'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await expect(verifier.results([pushed('a'), pushed('b')])).rejects.toThrow(
    /ECR says .*app:a is sha256:b+, but the push reported/,
  );
});

test('when ECR cannot be asked, the pushes stand unverified, with one warning', async () => {
  ecr.on(BatchGetImageCommand).rejects(
    Object.assign(new Error('not allowed'), {
      name: 'AccessDeniedException',
    }),
  );
  const warnings: string[] = [];
  const verifier = new Verifier(new AwsClients({}), (message) =>
    warnings.push(message),
  );
  verifier.add(pushed('a'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  verifier.add(pushed('b'));
  const results = await verifier.results([pushed('a'), pushed('b')]);
  expect(askedTags()).toEqual([['a'], ['b']]);
  expect(results.map((r) => r.unverified)).toEqual([
    'ECR not asked',
    'ECR not asked',
  ]);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/"ecr:BatchGetImage".*not verified/);
});
