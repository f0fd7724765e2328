// One code path, every engine a runner may have: the built action pushes
// through the real Docker engine on plain tcp:// and on TLS with client
// certificates (its unix socket exposed on a loopback port), and through
// Podman's Docker-compatible service; the registry must then hold the digest
// the action reported. stack/engines.sh brings up Podman and the TLS
// material; the tcp:// listeners are started here (stack/engine-forwarder.mjs).
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  bringUpEngines,
  engineTlsFiles,
  makePodmanImage,
  startEngineForwarder,
} from '../../stack/engines.mjs';
import { makeImage, registryDigest } from '../../stack/stack.mjs';
import {
  AWS_TEST_CREDENTIALS,
  bringUpStack,
  errorAnnotations,
  expectOneError,
  expectNoSecrets,
  runAction,
  secretForms,
  startEcrStandIn,
  type ActionResult,
  type Stack,
} from './helpers.js';

// Unique per run, so a re-run never passes on what an earlier run pushed.
const RUN = Date.now().toString(36);
const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DOCKER_IMAGE = `e2e-engines:${RUN}`;
const PODMAN_IMAGE = `e2e-engines-podman:${RUN}`;
// ACTION_ENTRY runs another bundle than dist/index.js (a build of a change).
const entry = process.env.ACTION_ENTRY || undefined;
// The shared engine may be busy with other suites' pushes.
const PUSH_TIMEOUT = 120_000;

type Forwarder = Awaited<ReturnType<typeof startEngineForwarder>>;

/** $STACK_DIR/engines.json, as stack/engines.sh writes it. */
interface Engines {
  engineTlsDir: string;
  clientCertPath: string;
  clientWrongCaCertPath: string;
  clientUnknownCertPath: string;
  podmanSocket: string;
  podmanVersion: string;
}

let stack: Stack;
let engines: Engines;
let ecr: Awaited<ReturnType<typeof startEcrStandIn>>;
let env: Record<string, string>;
let plain: Forwarder;
let secure: Forwarder;
let scratch: string;

beforeAll(async () => {
  stack = await bringUpStack();
  engines = (await bringUpEngines()) as Engines;
  await Promise.all([
    makeImage(DOCKER_IMAGE, 1),
    makePodmanImage(PODMAN_IMAGE, 1),
  ]);
  ecr = await startEcrStandIn({ password: stack.password, registry: stack });
  env = { ...AWS_TEST_CREDENTIALS, AWS_ENDPOINT_URL_ECR: ecr.endpoint };
  plain = await startEngineForwarder({ socketPath: stack.dockerSocket });
  secure = await startEngineForwarder({
    socketPath: stack.dockerSocket,
    tls: engineTlsFiles(engines.engineTlsDir),
  });
  scratch = await mkdtemp(path.join(tmpdir(), 'e2e-engines-'));
}, 15 * 60_000);

afterAll(async () => {
  await Promise.all([ecr?.close(), plain?.close(), secure?.close()]);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function push(
  image: string,
  tags: string,
  extraInputs: Record<string, string> = {},
  extraEnv: Record<string, string | undefined> = {},
): Promise<ActionResult> {
  return runAction({
    entry,
    inputs: { image, tags, region: 'us-east-1', ...extraInputs },
    env: { ...env, ...extraEnv },
  });
}

/** The run succeeded and the registry holds what it reported, for each tag. */
async function expectPushed(
  result: ActionResult,
  repository: string,
  tags: string[],
) {
  expect(errorAnnotations(result)).toEqual([]);
  expect(result.exitCode).toBe(0);
  expect(result.outputs['image-uris']).toBe(
    tags.map((tag) => `${HOST}/${repository}:${tag}`).join('\n'),
  );
  expect(result.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  for (const tag of tags) {
    expect(await registryDigest(stack, HOST, repository, tag)).toBe(
      result.outputs.digest,
    );
  }
  expect(result.dockerConfigWritten).toBe(false);
  expectNoSecrets(result, secretForms(stack.password, HOST));
}

/** A DOCKER_CERT_PATH holding only some of the client's files. */
async function certPathWith(name: string, files: string[]) {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    await copyFile(
      path.join(engines.clientCertPath, file),
      path.join(dir, file),
    );
  }
  return dir;
}

describe('Docker engine over plain tcp://', () => {
  test(
    'pushes through tcp://127.0.0.1:<port>',
    async () => {
      const before = plain.connectionCount();
      const result = await push(DOCKER_IMAGE, `${RUN}-tcp`, {
        'docker-host': plain.dockerHost,
      });
      await expectPushed(result, 'e2e-engines', [`${RUN}-tcp`]);
      expect(plain.connectionCount()).toBeGreaterThan(before);
    },
    PUSH_TIMEOUT,
  );

  test('nothing listening on the port is one clear error', async () => {
    const gone = await startEngineForwarder({
      socketPath: stack.dockerSocket,
    });
    await gone.close();
    const result = await push(DOCKER_IMAGE, `${RUN}-gone`, {
      'docker-host': gone.dockerHost,
    });
    expectOneError(
      result,
      new RegExp(`Nothing is listening at http://127\\.0\\.0\\.1:${gone.port}`),
    );
  });
});

describe('Docker engine over TLS with client certificates', () => {
  const tlsEnv = (certPath: string | undefined, port = secure.port) => ({
    DOCKER_HOST: `tcp://localhost:${port}`,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: certPath,
  });

  test(
    'pushes with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH',
    async () => {
      const before = secure.clients.length;
      const result = await push(
        DOCKER_IMAGE,
        `${RUN}-tls`,
        {},
        tlsEnv(engines.clientCertPath),
      );
      await expectPushed(result, 'e2e-engines', [`${RUN}-tls`]);
      // The listener required the client certificate and accepted it.
      expect(secure.clients.slice(before)).toContain('ecr-push-action-client');
    },
    PUSH_TIMEOUT,
  );

  test('DOCKER_CERT_PATH without the files is one clear error', async () => {
    const empty = await certPathWith('empty', []);
    expectOneError(
      await push(DOCKER_IMAGE, `${RUN}-x`, {}, tlsEnv(empty)),
      new RegExp(
        `^Cannot read ca\\.pem from DOCKER_CERT_PATH ${empty} .*Put ` +
          `ca\\.pem, cert\\.pem and key\\.pem there`,
      ),
    );
    const noKey = await certPathWith('no-key', ['ca.pem', 'cert.pem']);
    expectOneError(
      await push(DOCKER_IMAGE, `${RUN}-x`, {}, tlsEnv(noKey)),
      /^Cannot read key\.pem from DOCKER_CERT_PATH .*no-key/,
    );
  });

  test('DOCKER_CERT_PATH defaults to ~/.docker, as for the docker CLI', async () => {
    expectOneError(
      await push(DOCKER_IMAGE, `${RUN}-x`, {}, tlsEnv(undefined)),
      /^Cannot read ca\.pem from DOCKER_CERT_PATH \S+\/home\/\.docker /,
    );
  });

  test('an engine certificate that ca.pem does not verify is one clear error', async () => {
    const result = await push(
      DOCKER_IMAGE,
      `${RUN}-x`,
      {},
      tlsEnv(engines.clientWrongCaCertPath),
    );
    expectOneError(
      result,
      /^The Docker engine at https:\/\/localhost:\d+ presented a TLS certificate that ca\.pem in DOCKER_CERT_PATH \S+client-wrong-ca does not verify \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
  });

  test('an engine certificate for another name is one clear error', async () => {
    // public.ecr.aws is 127.0.0.1 here (/etc/hosts), but not in the
    // engine certificate's names (localhost, 127.0.0.1, ::1).
    const result = await push(
      DOCKER_IMAGE,
      `${RUN}-x`,
      {},
      {
        ...tlsEnv(engines.clientCertPath),
        DOCKER_HOST: `tcp://public.ecr.aws:${secure.port}`,
      },
    );
    expectOneError(
      result,
      /^The Docker engine at https:\/\/public\.ecr\.aws:\d+ presented a TLS certificate that is not for public\.ecr\.aws \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
    );
  });

  test('a client certificate the engine refuses is one clear error', async () => {
    const refusedBefore = secure.handshakeErrors.length;
    const result = await push(
      DOCKER_IMAGE,
      `${RUN}-x`,
      {},
      tlsEnv(engines.clientUnknownCertPath),
    );
    expectOneError(
      result,
      /closed the TLS connection before answering \/_ping .*may not accept the client certificate.*client-unknown/,
    );
    expect(secure.handshakeErrors.length).toBeGreaterThan(refusedBefore);
  });

  test('TLS to a plain port, and plain to a TLS port, are clear errors', async () => {
    expectOneError(
      await push(
        DOCKER_IMAGE,
        `${RUN}-x`,
        {},
        tlsEnv(engines.clientCertPath, plain.port),
      ),
      /^The Docker engine at https:\/\/localhost:\d+ does not speak TLS .*Unset DOCKER_TLS_VERIFY/,
    );
    expectOneError(
      await push(
        DOCKER_IMAGE,
        `${RUN}-x`,
        {},
        { DOCKER_HOST: `tcp://localhost:${secure.port}` },
      ),
      /^The Docker engine at http:\/\/localhost:\d+ closed the connection .*set DOCKER_TLS_VERIFY=1/,
    );
  });
});

/** GET /_ping on a unix socket: the status and the headers. */
function ping(socketPath: string) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(
        { socketPath, path: '/_ping', method: 'GET' },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

describe("Podman's Docker-compatible service", () => {
  const dockerHost = () => `unix://${engines.podmanSocket}`;

  test(
    'negotiates the API version and pushes every tag, reading the digest from the status line',
    async () => {
      const { status, headers } = await ping(engines.podmanSocket);
      expect(status).toBe(200);
      expect(headers['libpod-api-version']).toBe(engines.podmanVersion);
      const apiVersion = headers['api-version'];
      expect(apiVersion).toMatch(/^1\.\d+$/);

      const tags = [`${RUN}-podman-a`, `${RUN}-podman-b`];
      const result = await runAction({
        entry,
        inputs: {
          image: PODMAN_IMAGE,
          tags: tags.join(','),
          region: 'us-east-1',
          'docker-host': dockerHost(),
        },
        env: { ...env, RUNNER_DEBUG: '1' },
      });
      await expectPushed(result, 'e2e-engines-podman', tags);
      expect(result.stdout).toContain(
        `::debug::Docker engine API ${String(apiVersion)}\n`,
      );
      // Podman's stream: no aux line; the digest only in the status text.
      const raw = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('::debug::{'));
      expect(raw.length).toBeGreaterThan(0);
      expect(raw.filter((line) => line.includes('"aux"'))).toEqual([]);
      for (const tag of tags) {
        const status = `::debug::{"status":"${tag}: digest: ${result.outputs.digest} size: `;
        expect(raw.some((line) => line.startsWith(status))).toBe(true);
      }
    },
    PUSH_TIMEOUT,
  );

  test(
    'a password the registry rejects is one clear error',
    async () => {
      const wrong = await startEcrStandIn({
        password: stack.otherPassword,
        registry: stack,
      });
      try {
        const result = await push(
          PODMAN_IMAGE,
          `${RUN}-podman-rejected`,
          { 'docker-host': dockerHost() },
          { AWS_ENDPOINT_URL_ECR: wrong.endpoint },
        );
        expectOneError(
          result,
          /^Pushing \S+:\S+-podman-rejected failed: .*unauthorized: authentication required\. The registry did not accept the ECR token/,
        );
        expectNoSecrets(result, secretForms(stack.otherPassword, HOST));
        expect(
          await registryDigest(
            stack,
            HOST,
            'e2e-engines-podman',
            `${RUN}-podman-rejected`,
          ),
        ).toBeUndefined();
      } finally {
        await wrong.close();
      }
    },
    PUSH_TIMEOUT,
  );
});

describe('docker-host schemes that are not HTTP endpoints', () => {
  test.each(['ssh://runner@build-host', 'npipe:////./pipe/docker_engine'])(
    '%s is one clear error, before any call to ECR',
    async (dockerHost) => {
      const before = ecr.requests.length;
      const result = await push(DOCKER_IMAGE, `${RUN}-x`, {
        'docker-host': dockerHost,
      });
      expectOneError(
        result,
        new RegExp(
          `^docker-host "${dockerHost.replace(/[.*/\\]/g, '\\$&')}" is not ` +
            `supported: use unix:///path/to/docker\\.sock or tcp://host:port`,
        ),
      );
      expect(ecr.requests.length).toBe(before);
    },
  );
});
