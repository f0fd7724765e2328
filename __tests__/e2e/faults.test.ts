import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { nodeBinary, ROOT } from '../../stack/run-action.mjs';
import { registryDigest } from '../../stack/stack.mjs';
import { startEngineProxy, type PushFault } from './engine-proxy.js';
import {
  bringUpStack,
  expectOneError,
  expectSuccess,
  expectNoSecrets,
  runAction,
  runWithStandIn,
  secretForms,
  type ActionResult,
  type EcrStandIn,
  type Stack,
  HOST,
  RUN,
  setUpSuite,
  SUITE_SETUP_TIMEOUT,
  warningLines,
} from './helpers.js';

const run = promisify(execFile);
const IMAGE = `e2e-faults:${RUN}`;
const REPOSITORY = 'e2e-faults';

let stack: Stack;
let ecr: EcrStandIn;
let env: Record<string, string>;

beforeAll(async () => {
  ({ stack, ecr, env } = await setUpSuite({ [IMAGE]: 2 }));
}, SUITE_SETUP_TIMEOUT);

afterAll(() => ecr?.close());

/** Pushes IMAGE as `tag` through a proxy that applies `faults` per attempt. */
async function pushThrough(
  tag: string,
  faults: Array<PushFault | undefined>,
  extra: Record<string, string> = {},
) {
  const proxy = await startEngineProxy(stack.dockerSocket, faults);
  try {
    const result = await runAction({
      inputs: {
        image: IMAGE,
        tags: tag,
        region: 'us-east-1',
        'docker-host': proxy.dockerHost,
        ...extra,
      },
      env,
    });
    return { result, proxy };
  } finally {
    await proxy.close();
  }
}

async function expectPushedWithDigest(result: ActionResult, tag: string) {
  expectSuccess(result);
  expect(result.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  expect(await registryDigest(stack, HOST, REPOSITORY, tag)).toBe(
    result.outputs.digest,
  );
}

/** One clear error, and no secret leaked on the way. */
function expectFailure(result: ActionResult, message: RegExp) {
  expectOneError(result, message);
  expectNoSecrets(result, secretForms(stack.password, HOST));
}

describe('transient faults are retried, then the push succeeds', () => {
  test('the connection to the engine drops mid-push', async () => {
    const tag = `${RUN}-cut`;
    const { result, proxy } = await pushThrough(tag, [
      { kind: 'cut', afterLines: 2 },
    ]);
    await expectPushedWithDigest(result, tag);
    expect(proxy.pushCount()).toBe(2);
    expect(warningLines(result)).toEqual([
      expect.stringMatching(
        /Attempt 1 of 3 at pushing .*-cut failed: Lost the connection to the Docker engine.*Retrying in \d+\.\d s\./,
      ),
    ]);
  });

  test('the stream ends early twice (no digest)', async () => {
    const tag = `${RUN}-truncated`;
    const truncate: PushFault = { kind: 'truncate', afterLines: 1 };
    const { result, proxy } = await pushThrough(tag, [truncate, truncate]);
    await expectPushedWithDigest(result, tag);
    expect(proxy.pushCount()).toBe(3);
    expect(warningLines(result)).toHaveLength(2);
    expect(warningLines(result)[1]).toMatch(
      /Attempt 2 of 3 .*ended without a digest/,
    );
  });

  test.each([
    'toomanyrequests: Rate exceeded',
    'received unexpected HTTP status: 503 Service Unavailable',
    'error from registry: toomanyrequests: Rate exceeded',
  ])('the registry answers %s', async (message) => {
    const tag = `${RUN}-busy-${message.length}`;
    const { result, proxy } = await pushThrough(tag, [
      { kind: 'error', afterLines: 1, message },
    ]);
    await expectPushedWithDigest(result, tag);
    expect(proxy.pushCount()).toBe(2);
  });

  test('an expired token is replaced once, before the retry', async () => {
    const tag = `${RUN}-expired`;
    const tokenRequests = () =>
      ecr.requests.filter((r) => r.operation === 'GetAuthorizationToken')
        .length;
    const before = tokenRequests();
    const { result, proxy } = await pushThrough(tag, [
      {
        kind: 'error',
        afterLines: 1,
        message:
          'denied: Your authorization token has expired. Reauthenticate and try again.',
      },
    ]);
    await expectPushedWithDigest(result, tag);
    expect(proxy.pushCount()).toBe(2);
    expect(tokenRequests() - before).toBe(2);
    expect(warningLines(result)[0]).toMatch(/Fetched a new ECR token/);
  });

  test('pushes to one registry that find the token expired share one new token', async () => {
    const tag = `${RUN}-shared`;
    const tokenRequests = () =>
      ecr.requests.filter((r) => r.operation === 'GetAuthorizationToken')
        .length;
    const before = tokenRequests();
    const expired: PushFault = {
      kind: 'error',
      afterLines: 1,
      message:
        'denied: Your authorization token has expired. Reauthenticate and try again.',
    };
    // Push 1 uploads the first tag; pushes 2 and 3 are the other two tags,
    // at once, and both are told the token expired.
    const { result, proxy } = await pushThrough(
      `${tag}-a, ${tag}-b, ${tag}-c`,
      [undefined, expired, expired],
    );
    expectSuccess(result);
    expect(proxy.pushCount()).toBe(5);
    expect(tokenRequests() - before).toBe(2);
    for (const suffix of ['a', 'b', 'c']) {
      expect(
        await registryDigest(stack, HOST, REPOSITORY, `${tag}-${suffix}`),
      ).toBe(result.outputs.digest);
    }
  });
});

describe('faults that do not go away fail the step once, clearly', () => {
  test('a line that is not JSON, every time', async () => {
    const garbage: PushFault = { kind: 'garbage', afterLines: 1 };
    const { result, proxy } = await pushThrough(
      `${RUN}-garbage`,
      [garbage, garbage],
      {
        'max-attempts': '2',
      },
    );
    expectFailure(
      result,
      /failed \(after 2 attempts\): The Docker engine sent a progress line that is not JSON: "<html>/,
    );
    expect(proxy.pushCount()).toBe(2);
  });

  test('the engine stops answering mid-push, with retries off', async () => {
    const { result } = await pushThrough(
      `${RUN}-dead`,
      [{ kind: 'cut', afterLines: 1 }],
      {
        'max-attempts': '1',
      },
    );
    expectFailure(
      result,
      /Lost the connection to the Docker engine at unix:\/\/.*engine-proxy/,
    );
  });

  test.each([
    [
      "name unknown: The repository with name 'e2e-faults' does not exist in " +
        "the registry with id '123456789012'",
      /does not exist.*create-repository: true/,
    ],
    [
      'error from registry: denied: User: ' +
        'arn:aws:sts::123456789012:assumed-role/ci is not authorized to ' +
        'perform: ecr:InitiateLayerUpload',
      /needs ecr:BatchCheckLayerAvailability/,
    ],
    [
      'denied: Layer size too large: exceeds the limit',
      /over ECR's limit of 52,000 MiB/,
    ],
    [
      "unsupported: Invalid parameter at 'ImageManifest' failed to satisfy " +
        "constraint: 'Limit on number of layers per image exceeded'",
      /too many layers/,
    ],
  ])('permanent, not retried: %s', async (message, hint) => {
    // (Immutable tags are covered in ecr-features.test.ts, where the tag's
    // content is known.)
    const { result, proxy } = await pushThrough(`${RUN}-perm`, [
      { kind: 'error', afterLines: 1, message },
      { kind: 'error', afterLines: 1, message },
    ]);
    expectFailure(result, hint);
    expect(proxy.pushCount()).toBe(1);
    expect(warningLines(result)).toEqual([]);
  });

  test('the action calls only the engine endpoints it needs', async () => {
    const { result, proxy } = await pushThrough(`${RUN}-endpoints`, []);
    expect(result.exitCode).toBe(0);
    const allowed = [
      /^GET \/_ping$/,
      /^GET \/v1\.\d+\/images\/[^?]+\/json$/,
      /^POST \/v1\.\d+\/images\/sha256%3A[a-f0-9]{64}\/tag\?repo=[^&]+&tag=[^&]+$/,
      /^POST \/v1\.\d+\/images\/[^?]+\/push\?tag=[^&]+$/,
    ];
    for (const request of proxy.requests) {
      expect(
        allowed.some((pattern) => pattern.test(request))
          ? request
          : `unexpected: ${request}`,
      ).toBe(request);
    }
  });
});

describe('the registry and AWS', () => {
  test('a stopped registry fails after the retries, with the cause', async () => {
    await run('bash', [path.join(ROOT, 'stack', 'registry-stop.sh')]);
    try {
      const result = await runAction({
        inputs: {
          image: IMAGE,
          tags: `${RUN}-stopped`,
          region: 'us-east-1',
          'max-attempts': '2',
        },
        env,
      });
      expectFailure(result, /connection refused.*failed 2 times in a row/);
      expect(warningLines(result)).toHaveLength(1);
    } finally {
      await bringUpStack();
    }
  }, 60_000);

  test('no AWS credentials', async () => {
    const result = await runAction({
      inputs: { image: IMAGE, region: 'us-east-1' },
      env: { AWS_ENDPOINT_URL_ECR: ecr.endpoint },
    });
    expectFailure(
      result,
      /No AWS credentials found.*configure-aws-credentials/,
    );
  });

  test.each([
    ['3', 0, 3],
    ['2', 1, 2],
  ])(
    'ECR throttling: AWS_MAX_ATTEMPTS=%s is honoured',
    async (maxAttempts, exitCode, calls) => {
      let seen = 0;
      const { result } = await runWithStandIn(
        {
          password: stack.password,
          registry: stack,
          overrides: {
            GetAuthorizationToken: () =>
              ++seen <= 2
                ? {
                    status: 400,
                    body: {
                      __type: 'ThrottlingException',
                      message: 'Rate exceeded',
                    },
                  }
                : {
                    authorizationData: [
                      {
                        authorizationToken: Buffer.from(
                          `AWS:${stack.password}`,
                        ).toString('base64'),
                        proxyEndpoint: `https://${HOST}`,
                      },
                    ],
                  },
          },
        },
        {
          inputs: {
            image: IMAGE,
            tags: `${RUN}-throttled`,
            region: 'us-east-1',
          },
          env: { ...env, AWS_MAX_ATTEMPTS: maxAttempts },
        },
      );
      expect(result.exitCode).toBe(exitCode);
      expect(seen).toBe(calls);
      if (exitCode === 1) {
        expectFailure(result, /kept throttling GetAuthorizationToken/);
      }
    },
    60_000,
  );

  test('the socket is not permitted for the runner user', async () => {
    // Run as nobody (root passes any permission check), from copies it can
    // read whatever the permissions of the checkout.
    const dir = await mkdtemp(path.join(tmpdir(), 'as-nobody-'));
    await chmod(dir, 0o755);
    for (const file of await readdir(path.join(ROOT, 'dist'))) {
      await copyFile(path.join(ROOT, 'dist', file), path.join(dir, file));
    }
    await copyFile(nodeBinary(), path.join(dir, 'node'));
    await chmod(path.join(dir, 'node'), 0o755);
    const result = await runAction({
      inputs: { image: IMAGE, region: 'us-east-1' },
      env,
      uid: 65534,
      entry: path.join(dir, 'index.js'),
      node: path.join(dir, 'node'),
    }).finally(() => rm(dir, { recursive: true, force: true }));
    expectFailure(
      result,
      /Permission denied opening unix:\/\/\/var\/run\/docker.sock.*docker group/,
    );
  });
});

describe('security', () => {
  test('no child process and no file written but the runner files, with debug on', async () => {
    const tag = `${RUN}-sandboxed`;
    const result = await runAction({
      inputs: { image: IMAGE, tags: tag, region: 'us-east-1' },
      env: { ...env, RUNNER_DEBUG: '1' },
      sandboxed: true,
    });
    await expectPushedWithDigest(result, tag);
    expect(result.stdout).toContain('::debug::');
    expectNoSecrets(result, secretForms(stack.password, HOST));
    expect(result.dockerConfigWritten).toBe(false);
  });
});
