// A stand-in for the ECR control plane: the one part of the stack that
// cannot run here. It speaks ECR's JSON 1.1 protocol, so the real AWS SDK
// reaches it through AWS_ENDPOINT_URL_ECR, and hands out the password of
// the local registry as ECR would (base64 of "AWS:<password>").
import { createServer } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { pathToFileURL } from 'node:url';

// ECR's and ECR Public's JSON 1.1 target prefixes.
const TARGET_PREFIXES = {
  'AmazonEC2ContainerRegistry_V20150921.': 'ecr',
  'SpencerFrontendService.': 'ecr-public',
};
const DEFAULT_ACCOUNT = '123456789012';

/**
 * @typedef {object} StandInOptions
 * @property {string} password the registry password to hand out
 * @property {number} [port] 0 (default) picks a free port
 * @property {(region: string) => string} [registryHostFor] host per region
 * @property {Record<string, (body: any, region: string) => any>} [overrides]
 *   per-operation handlers for fault tests; return {status, body} or a body
 * @property {{ ca: Buffer, registryPort?: number }} [registry] the real
 *   registry, which BatchGetImage reads so that it tells the truth
 * @property {string[]} [repositories] repositories that exist; when given,
 *   DescribeRepositories and CreateRepository keep this list
 */

/** @param {StandInOptions} options */
export async function startEcrStandIn(options) {
  const requests = [];
  const registryHostFor =
    options.registryHostFor ??
    ((region) => `${DEFAULT_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`);

  const repositories = options.repositories
    ? new Map(options.repositories.map((name) => [name, {}]))
    : undefined;
  const created = [];

  const operations = {
    'ecr-public:GetAuthorizationToken': () => ({
      authorizationData: {
        authorizationToken: Buffer.from(`AWS:${options.password}`).toString(
          'base64',
        ),
        expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
      },
    }),
    DescribeRepositories: (body) => {
      const missing = (body.repositoryNames ?? []).find(
        (name) => repositories && !repositories.has(name),
      );
      if (missing) {
        return {
          status: 400,
          body: error(
            'RepositoryNotFoundException',
            `The repository with name '${missing}' does not exist in the registry with id '${body.registryId ?? DEFAULT_ACCOUNT}'`,
          ),
        };
      }
      return {
        repositories: (body.repositoryNames ?? []).map((repositoryName) => ({
          repositoryName,
          registryId: body.registryId ?? DEFAULT_ACCOUNT,
        })),
      };
    },
    CreateRepository: (body) => {
      if (repositories?.has(body.repositoryName)) {
        return {
          status: 400,
          body: error('RepositoryAlreadyExistsException', 'already exists'),
        };
      }
      repositories?.set(body.repositoryName, body);
      created.push(body);
      return { repository: { repositoryName: body.repositoryName } };
    },
    BatchGetImage: (body, region) => batchGetImage(body, region),
    GetAuthorizationToken: (_body, region) => ({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${options.password}`).toString(
            'base64',
          ),
          expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
          proxyEndpoint: `https://${registryHostFor(region)}`,
        },
      ],
    }),
  };

  // Asks the real registry what each tag names, as ECR would answer.
  async function batchGetImage(body, region) {
    const registryId = body.registryId ?? DEFAULT_ACCOUNT;
    const host = `${registryId}.dkr.ecr.${region}.amazonaws.com`;
    const images = [];
    const failures = [];
    // All tags at once, over kept-alive connections: ECR answers a batch in
    // one call, and the stand-in should not be slower than it.
    const found = await Promise.all(
      (body.imageIds ?? []).map((imageId) =>
        readManifest(options, host, body.repositoryName, imageId.imageTag),
      ),
    );
    for (const [index, imageId] of (body.imageIds ?? []).entries()) {
      const manifest = found[index];
      if (manifest) {
        images.push({
          registryId,
          repositoryName: body.repositoryName,
          imageId: { imageTag: imageId.imageTag, imageDigest: manifest.digest },
          imageManifest: manifest.manifest,
          imageManifestMediaType: manifest.mediaType,
        });
      } else {
        failures.push({
          imageId,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
      }
    }
    return { images, failures };
  }

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const [prefix, service] =
        Object.entries(TARGET_PREFIXES).find(([p]) => target.startsWith(p)) ??
        [];
      const name = prefix ? target.slice(prefix.length) : '';
      const operation = service === 'ecr' ? name : `${service}:${name}`;
      const region = signingRegion(request.headers.authorization);
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return reply(
          response,
          400,
          error('SerializationException', 'bad JSON'),
        );
      }
      requests.push({ operation, region, body });
      if (!region) {
        return reply(
          response,
          403,
          error('MissingAuthenticationTokenException', 'request is not signed'),
        );
      }
      const handler = options.overrides?.[operation] ?? operations[operation];
      if (!handler) {
        return reply(
          response,
          400,
          error('UnknownOperationException', operation),
        );
      }
      Promise.resolve()
        .then(() => handler(body, region))
        .then(
          (result) => {
            if (result && typeof result.status === 'number') {
              return reply(response, result.status, result.body);
            }
            return reply(response, 200, result);
          },
          (failure) =>
            reply(response, 500, error('ServerException', String(failure))),
        );
    });
  });

  await new Promise((resolve) =>
    server.listen(options.port ?? 0, '127.0.0.1', resolve),
  );
  const { port } = /** @type {import('node:net').AddressInfo} */ (
    server.address()
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    created,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The manifest types a registry client asks for, as the engine does. */
export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const registryAgent = new Agent({ keepAlive: true });

function readManifest(options, host, repository, tag) {
  if (!options.registry)
    throw new Error('BatchGetImage needs options.registry');
  const auth = Buffer.from(`AWS:${options.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: options.registry.registryPort ?? 443,
        path: `/v2/${repository}/manifests/${encodeURIComponent(tag)}`,
        ca: options.registry.ca,
        agent: registryAgent,
        headers: { authorization: `Basic ${auth}`, accept: MANIFEST_TYPES },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200) {
            return reject(new Error(`registry answered ${res.statusCode}`));
          }
          resolve({
            digest: res.headers['docker-content-digest'],
            mediaType: res.headers['content-type'],
            manifest: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An ECR-shaped error answer, for overrides. */
export function error(type, message) {
  return { __type: type, message };
}

// SigV4: "Credential=AKID/20261203/us-east-1/ecr/aws4_request"
function signingRegion(authorization) {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(
    String(authorization ?? ''),
  )?.[1];
}

function reply(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    ...(status >= 400 && body?.__type
      ? { 'x-amzn-errortype': body.__type }
      : {}),
  });
  response.end(text);
}

// Run on its own, for the stack that stack/up.sh brought up:
// `node stack/ecr-standin.mjs [port]` prints the endpoint and serves until
// it is stopped.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { readStack } = await import('./stack.mjs');
  const stack = readStack();
  const standIn = await startEcrStandIn({
    password: stack.password,
    registry: stack,
    port: Number(process.argv[2] ?? 0),
  });
  console.log(`AWS_ENDPOINT_URL_ECR=${standIn.endpoint}`);
  console.log(`AWS_ENDPOINT_URL_ECR_PUBLIC=${standIn.endpoint}`);
}
