import * as http from 'node:http';
import * as net from 'node:net';
import { registryDigest } from '../../stack/stack.mjs';
import { startEngineProxy } from './engine-proxy.js';
import {
  expectOneError,
  expectSuccess,
  runAction,
  runWithStandIn,
  startEcrStandIn,
  type EcrStandIn,
  type Stack,
  HOST,
  RUN,
  setUpSuite,
  SUITE_SETUP_TIMEOUT,
} from './helpers.js';

const IMAGE = `e2e-features:${RUN}`;
const OTHER_IMAGE = `e2e-features-other:${RUN}`;
const OTHER_ACCOUNT_HOST = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';

let stack: Stack;
let ecr: EcrStandIn;
let env: Record<string, string>;

beforeAll(async () => {
  ({ stack, ecr, env } = await setUpSuite({ [IMAGE]: 1, [OTHER_IMAGE]: 1 }));
}, SUITE_SETUP_TIMEOUT);

afterAll(() => ecr?.close());

test('whole references to several accounts, regions and ECR Public, in one step', async () => {
  const references = [
    `${HOST}/feature/first:${RUN}`,
    `${OTHER_ACCOUNT_HOST}/feature/second:${RUN}`,
    `public.ecr.aws/some-alias/feature-third:${RUN}`,
    `${HOST}/feature/first:${RUN}-also`,
  ];
  const before = ecr.requests.length;
  // As docker/metadata-action writes its `tags` output; no region input.
  const result = await runAction({
    inputs: { image: IMAGE, tags: references.join('\n') },
    env,
  });
  expectSuccess(result);
  expect(result.outputs.registry).toBe(HOST);
  expect(result.outputs['image-uri']).toBe(references[0]);
  expect(result.outputs['image-uris']).toBe(references.join('\n'));
  for (const reference of references) {
    const [, host, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(
      reference,
    )!;
    expect(await registryDigest(stack, host!, repository!, tag!)).toBe(
      result.outputs.digest,
    );
  }
  const tokenCalls = ecr.requests
    .slice(before)
    .filter((r) => r.operation.endsWith('GetAuthorizationToken'))
    .map((r) => `${r.operation}@${r.region}`)
    .sort();
  expect(tokenCalls).toEqual([
    'GetAuthorizationToken@eu-west-1',
    'GetAuthorizationToken@us-east-1',
    'ecr-public:GetAuthorizationToken@us-east-1',
  ]);
  expect(result.summary).toContain('verified');
  expect(result.summary).toContain('not verified (ECR Public)');
});

test('bare tags and whole references mix; bare ones use region and repository', async () => {
  const result = await runAction({
    inputs: {
      image: IMAGE,
      repository: 'feature/mixed',
      region: 'us-east-1',
      tags: `${RUN}-bare, ${OTHER_ACCOUNT_HOST}/feature/mixed:${RUN}-whole`,
    },
    env,
  });
  expectSuccess(result);
  expect(result.outputs['image-uris']).toBe(
    `${HOST}/feature/mixed:${RUN}-bare\n${OTHER_ACCOUNT_HOST}/feature/mixed:${RUN}-whole`,
  );
});

test.each([
  ['ghcr.io/org/app:1', /registry is not Amazon ECR/],
  [`${HOST}/Bad_Name:1`, /neither a tag nor a reference/],
  [`${HOST}/a--b:1`, /repository is not a valid ECR name/],
  ['public.ecr.aws/no-alias:1', /public.ecr.aws\/<alias>\/<repository>:<tag>/],
])(
  'a reference that cannot be pushed is refused: %s',
  async (tags, message) => {
    const result = await runAction({ inputs: { image: IMAGE, tags }, env });
    expectOneError(result, message);
  },
);

describe('create-repository', () => {
  test('creates a missing repository with secure defaults', async () => {
    const { result, standIn } = await runWithStandIn(
      { password: stack.password, registry: stack, repositories: [] },
      {
        inputs: {
          image: IMAGE,
          repository: 'created/defaults',
          tags: RUN,
          region: 'us-east-1',
          'create-repository': 'true',
        },
        env,
      },
    );
    expectSuccess(result);
    expect(standIn.created).toEqual([
      {
        registryId: '123456789012',
        repositoryName: 'created/defaults',
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'AES256' },
      },
    ]);
    expect(result.stdout).toMatch(
      /Created repository .*created\/defaults \(MUTABLE, AES256, scan on push\)/,
    );
  });

  test('KMS and immutable tags on request; an existing repository is left alone', async () => {
    const { result, standIn } = await runWithStandIn(
      {
        password: stack.password,
        registry: stack,
        repositories: ['created/existing'],
      },
      {
        inputs: {
          image: IMAGE,
          tags: `${HOST}/created/kms:${RUN}\n${HOST}/created/existing:${RUN}`,
          'create-repository': 'true',
          'image-tag-mutability': 'IMMUTABLE',
          'kms-key': 'alias/ecr',
        },
        env,
      },
    );
    expectSuccess(result);
    expect(standIn.created).toEqual([
      expect.objectContaining({
        repositoryName: 'created/kms',
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: {
          encryptionType: 'KMS',
          kmsKey: 'alias/ecr',
        },
      }),
    ]);
  });

  const createRepository = (
    repository: string,
    overrides: Parameters<typeof startEcrStandIn>[0]['overrides'],
  ) =>
    runWithStandIn(
      { password: stack.password, registry: stack, overrides },
      {
        inputs: {
          image: IMAGE,
          repository,
          tags: RUN,
          region: 'us-east-1',
          'create-repository': 'true',
        },
        env,
      },
    );
  const denied = () => ({
    status: 400,
    body: {
      __type: 'AccessDeniedException',
      message: 'not authorized: ecr:CreateRepository',
    },
  });

  test.each([
    [
      'another job created it meanwhile',
      {
        CreateRepository: () => ({
          status: 400,
          body: {
            __type: 'RepositoryAlreadyExistsException',
            message: 'exists',
          },
        }),
      },
    ],
    [
      'the role may not create, but the repository is there',
      {
        CreateRepository: denied,
        DescribeRepositories: () => ({
          repositories: [{ repositoryName: 'created/raced' }],
        }),
      },
    ],
  ])('fine when %s', async (_name, overrides) => {
    const { result } = await createRepository('created/raced', overrides);
    expectSuccess(result);
  });

  test('a role that may not create a missing repository gets the permission named', async () => {
    const { result } = await createRepository('created/denied', {
      CreateRepository: denied,
      DescribeRepositories: () => ({
        status: 400,
        body: { __type: 'RepositoryNotFoundException', message: 'not found' },
      }),
    });
    expectOneError(
      result,
      /CreateRepository for .*created\/denied failed: AccessDeniedException.*needs "ecr:CreateRepository"/,
    );
  });
});

test('a digest ECR does not confirm fails the step', async () => {
  const { result } = await runWithStandIn(
    {
      password: stack.password,
      registry: stack,
      overrides: {
        BatchGetImage: (body: { imageIds: Array<{ imageTag: string }> }) => ({
          images: body.imageIds.map((imageId) => ({
            imageId: { ...imageId, imageDigest: `sha256:${'0'.repeat(64)}` },
          })),
          failures: [],
        }),
      },
    },
    {
      inputs: {
        image: IMAGE,
        repository: 'feature/lied-to',
        tags: RUN,
        region: 'us-east-1',
      },
      env,
    },
  );
  expectOneError(
    result,
    /ECR says .*feature\/lied-to:.* is sha256:0{64}, but the push reported sha256:/,
  );
});

describe('immutable tags on a re-run', () => {
  const immutable = (tag: string) =>
    `tag invalid: The image tag '${tag}' already exists in the ` +
    `'feature/immutable' repository and cannot be overwritten because the ` +
    `tag is immutable.`;

  async function pushWithImmutableAnswer(image: string, tag: string) {
    const proxy = await startEngineProxy(stack.dockerSocket, [
      { kind: 'error', afterLines: 0, message: immutable(tag) },
    ]);
    try {
      return await runAction({
        inputs: {
          image,
          repository: 'feature/immutable',
          tags: tag,
          region: 'us-east-1',
          'docker-host': proxy.dockerHost,
        },
        env,
      });
    } finally {
      await proxy.close();
    }
  }

  /** Pushes `firstImage` as `tag`, then IMAGE to the now immutable tag. */
  async function pushAgain(firstImage: string, tag: string) {
    const first = await runAction({
      inputs: {
        image: firstImage,
        repository: 'feature/immutable',
        tags: tag,
        region: 'us-east-1',
      },
      env,
    });
    expectSuccess(first);
    return { first, again: await pushWithImmutableAnswer(IMAGE, tag) };
  }

  test('the same image under the tag succeeds, and says it was there', async () => {
    const { first, again } = await pushAgain(IMAGE, `${RUN}-same`);
    expectSuccess(again);
    expect(again.outputs.digest).toBe(first.outputs.digest);
    expect(again.stdout).toMatch(/already holds this image .*nothing to push/);
    expect(again.summary).toContain('was already there');
  });

  test('another image under the tag fails, naming both', async () => {
    const tag = `${RUN}-other`;
    const { first, again } = await pushAgain(OTHER_IMAGE, tag);
    expectOneError(
      again,
      new RegExp(
        `Tag ${tag} of .*feature/immutable is immutable and already holds ` +
          `${first.outputs.digest}, not the local image sha256:[a-f0-9]{64}`,
      ),
    );
  });
});

describe('proxies for AWS API calls', () => {
  let proxy: http.Server;
  let proxied: string[];
  let proxyUrl: string;

  beforeAll(async () => {
    proxied = [];
    // Forwards plain requests (absolute URI) and CONNECT tunnels, recording both.
    proxy = http.createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const target = new URL(req.url!);
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    proxy.on('connect', (req, socket, head) => {
      proxied.push(`CONNECT ${req.url}`);
      const [host, port] = req.url!.split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });

  test.each([
    ['HTTP_PROXY', {}, true],
    ['http_proxy', {}, true],
    ['HTTP_PROXY', { NO_PROXY: '127.0.0.1' }, false],
    ['HTTP_PROXY', { no_proxy: 'example.com,127.0.0.1' }, false],
  ])('%s with %j: through the proxy = %s', async (variable, extra, through) => {
    proxied.length = 0;
    const result = await runAction({
      inputs: {
        image: IMAGE,
        repository: 'feature/proxied',
        tags: RUN,
        region: 'us-east-1',
      },
      env: { ...env, [variable]: proxyUrl, ...extra },
    });
    expectSuccess(result);
    const endpoint = new URL(ecr.endpoint);
    const viaProxy = proxied.filter((line) =>
      line.includes(`${endpoint.host}`),
    );
    expect(viaProxy.length > 0).toBe(through);
  });
});
