import * as net from 'node:net';
import { EngineClient } from '../../src/engine/client.js';
import { consumePushStream } from '../../src/push-stream.js';
import { registryDigest } from '../../stack/stack.mjs';
import {
  errorAnnotations,
  expectOneError,
  expectSuccess,
  expectNoSecrets,
  runAction,
  runWithStandIn,
  secretForms,
  type EcrStandIn,
  type Stack,
  HOST,
  RUN,
  setUpSuite,
  SUITE_SETUP_TIMEOUT,
  warningLines,
} from './helpers.js';

const IMAGE = `e2e-app:${RUN}`;

let stack: Stack;
let ecr: EcrStandIn;
let env: Record<string, string>;

beforeAll(async () => {
  ({ stack, ecr, env } = await setUpSuite({ [IMAGE]: 3 }));
}, SUITE_SETUP_TIMEOUT);

afterAll(() => ecr?.close());

test('the stack password makes wrongly encoded headers fail on the real engine', async () => {
  // Guards the fixture: were the header's standard base64 free of + and /,
  // or its JSON a multiple of 3 bytes long, a wrong encoding would pass the
  // tests below too.
  const json = JSON.stringify({
    username: 'AWS',
    password: stack.password,
    serveraddress: HOST,
  });
  const standard = Buffer.from(json).toString('base64');
  expect(standard).toMatch(/[+/]/);
  expect(json.length % 3).not.toBe(0);
  const unpadded = Buffer.from(json).toString('base64url');

  const engine = await EngineClient.connect({
    kind: 'unix',
    socketPath: stack.dockerSocket,
  });
  try {
    const image = await engine.inspectImage(IMAGE);
    for (const header of [standard, unpadded]) {
      await engine.tagImage(image!.id, `${HOST}/e2e-bad-header`, RUN);
      const stream = await engine.pushImage(
        `${HOST}/e2e-bad-header`,
        RUN,
        header,
      );
      await expect(consumePushStream(stream, () => {})).rejects.toThrow(
        /no basic auth credentials/,
      );
    }
  } finally {
    await engine.close();
  }
});

test('pushes every tag, reports digests the registry really holds, leaks nothing', async () => {
  const result = await runAction({
    inputs: {
      image: IMAGE,
      tags: `${RUN}-a\n${RUN}-b, ${RUN}-c`,
      region: 'us-east-1',
    },
    env: { ...env, RUNNER_DEBUG: '1' },
  });
  expect(errorAnnotations(result)).toEqual([]);
  expect(result.exitCode).toBe(0);

  const repository = 'e2e-app';
  const references = ['a', 'b', 'c'].map(
    (t) => `${HOST}/${repository}:${RUN}-${t}`,
  );
  expect(result.outputs).toEqual({
    registry: HOST,
    'image-uri': references[0],
    'image-uris': references.join('\n'),
    digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
  });
  for (const tag of ['a', 'b', 'c']) {
    expect(await registryDigest(stack, HOST, repository, `${RUN}-${tag}`)).toBe(
      result.outputs.digest,
    );
  }
  expect(result.summary).toContain(result.outputs.digest);
  expect(result.summary).toContain(references[2]);
  expect(result.dockerConfigWritten).toBe(false);
  expectNoSecrets(result, secretForms(stack.password, HOST));

  // Readable log: groups per reference, layer states, no raw JSON outside debug.
  const log = result.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::') && !l.startsWith('::add-mask::'));
  expect(log.filter((l) => l.startsWith('::group::Pushing '))).toHaveLength(3);
  expect(
    log.some(
      (l) => /^[a-f0-9]{12}: Pushed$/.test(l) || /Layer already exists/.test(l),
    ),
  ).toBe(true);
  expect(log.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
  // With step debugging on, the engine's own lines are in the debug log.
  expect(result.stdout).toMatch(/^::debug::\{"status":/m);
});

test('defaults: repository and tag come from image, region from AWS_REGION', async () => {
  const result = await runAction({
    inputs: { image: IMAGE },
    env: { ...env, AWS_REGION: 'us-east-1' },
  });
  expect(result.exitCode).toBe(0);
  expect(result.outputs['image-uri']).toBe(`${HOST}/e2e-app:${RUN}`);
  // Without step debugging, the engine's lines are not written at all.
  expect(result.stdout).not.toMatch(/^::debug::\{/m);
  expect(await registryDigest(stack, HOST, 'e2e-app', RUN)).toBe(
    result.outputs.digest,
  );
});

test.each([
  [
    { image: `e2e-missing:${RUN}` },
    /Image "e2e-missing:.*" is not in the Docker engine/,
  ],
  [
    { image: IMAGE, 'docker-host': 'unix:///run/no-such-docker.sock' },
    /No Docker engine socket at unix:\/\/\/run\/no-such-docker.sock/,
  ],
  [
    { image: IMAGE, tags: 'ok,../../x' },
    /"..\/..\/x", which is neither a tag nor a reference/,
  ],
  [{ image: 'e2e-app:bad?tag=x' }, /not a valid Docker image reference/],
])('fails with one clear error: %j', async (inputs, message) => {
  const result = await runAction({
    inputs: { region: 'us-east-1', ...inputs },
    env,
  });
  expectOneError(result, message);
});

test('no region is a clear error before any network call', async () => {
  const before = ecr.requests.length;
  const result = await runAction({ inputs: { image: IMAGE }, env });
  expect(result.exitCode).toBe(1);
  expect(errorAnnotations(result)).toEqual([
    expect.stringMatching(/No AWS region/),
  ]);
  expect(ecr.requests.length).toBe(before);
});

test('ECR denying GetAuthorizationToken names the missing IAM action', async () => {
  const { result } = await runWithStandIn(
    {
      password: stack.password,
      overrides: {
        GetAuthorizationToken: () => ({
          status: 400,
          body: {
            __type: 'AccessDeniedException',
            message:
              'User is not authorized to perform: ecr:GetAuthorizationToken',
          },
        }),
      },
    },
    { inputs: { image: IMAGE, region: 'us-east-1' }, env },
  );
  expectOneError(result, /"ecr:GetAuthorizationToken"/);
});

test('a password the registry rejects fails the step, and is not leaked', async () => {
  const { result } = await runWithStandIn(
    { password: stack.otherPassword },
    {
      inputs: { image: IMAGE, tags: `${RUN}-rejected`, region: 'us-east-1' },
      env,
    },
  );
  expectOneError(result, /^Pushing .*:.*-rejected failed: /);
  expectNoSecrets(result, secretForms(stack.otherPassword, HOST));
  expect(
    await registryDigest(stack, HOST, 'e2e-app', `${RUN}-rejected`),
  ).toBeUndefined();
});

describe('the registry the token names', () => {
  // The registry again on another port, as a tunnel or a test harness
  // would put it: a plain TCP forwarder to :443 (TLS passes through).
  let forwarder: net.Server;
  let port: number;
  // The engine keeps its registry connections open; close() waits for them.
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    forwarder = net.createServer((client) => {
      const upstream = net.connect(stack.registryPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) =>
      forwarder.listen(0, '127.0.0.1', resolve),
    );
    port = (forwarder.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => forwarder.close(resolve));
  });

  test.each([
    ['an ECR host with a port', () => `${HOST}:${port}`],
    ['a host that is not ECR-shaped', () => 'localhost'],
  ])('%s is pushed to and verified', async (_name, registryOf) => {
    const registry = registryOf();
    const { result } = await runWithStandIn(
      {
        password: stack.password,
        registry: stack,
        registryHostFor: () => registry,
      },
      {
        inputs: { image: IMAGE, tags: `${RUN}-named`, region: 'us-east-1' },
        env,
      },
    );
    expectSuccess(result);
    expect(result.outputs.registry).toBe(registry);
    expect(result.outputs['image-uri']).toBe(
      `${registry}/e2e-app:${RUN}-named`,
    );
    expect(await registryDigest(stack, HOST, 'e2e-app', `${RUN}-named`)).toBe(
      result.outputs.digest,
    );
    expect(result.summary).toContain('<td>verified</td>');
  });

  test('an ECR endpoint without BatchGetImage leaves the push standing, unverified', async () => {
    const { result } = await runWithStandIn(
      {
        password: stack.password,
        registry: stack,
        overrides: {
          BatchGetImage: () => ({
            status: 400,
            body: {
              __type: 'UnknownOperationException',
              message: 'no such operation',
            },
          }),
        },
      },
      {
        inputs: {
          image: IMAGE,
          tags: `${RUN}-unverified, ${RUN}-unverified-too`,
          region: 'us-east-1',
        },
        env,
      },
    );
    expectSuccess(result);
    // Asked twice (the second tag after the first was pushed), warned once.
    const warnings = warningLines(result);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /::warning::Could not ask ECR what .*e2e-app holds: UnknownOperationException.*not verified/,
    );
    expect(
      result.summary.match(/not verified \(ECR not asked\)/g),
    ).toHaveLength(2);
    expect(
      await registryDigest(stack, HOST, 'e2e-app', `${RUN}-unverified`),
    ).toBe(result.outputs.digest);
  });
});
