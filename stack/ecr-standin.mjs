// A stand-in for the ECR control plane: the one part of the stack that
// cannot run here. It speaks ECR's JSON 1.1 protocol, so the real AWS SDK
// reaches it through AWS_ENDPOINT_URL_ECR, and hands out the password of
// the local registry as ECR would (base64 of "AWS:<password>").
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const DEFAULT_ACCOUNT = '123456789012';

/**
 * @typedef {object} StandInOptions
 * @property {string} password the registry password to hand out
 * @property {number} [port] 0 (default) picks a free port
 * @property {(region: string) => string} [registryHostFor] host per region
 * @property {Record<string, (body: any, region: string) => any>} [overrides]
 *   per-operation handlers for fault tests; return {status, body} or a body
 */

/** @param {StandInOptions} options */
export async function startEcrStandIn(options) {
  const requests = [];
  const registryHostFor =
    options.registryHostFor ??
    ((region) => `${DEFAULT_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`);

  const operations = {
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

  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
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
      const result = handler(body, region);
      if (result && typeof result.status === 'number') {
        return reply(response, result.status, result.body);
      }
      return reply(response, 200, result);
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
    close: () => new Promise((resolve) => server.close(resolve)),
  };
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

// Run on its own: `node stack/ecr-standin.mjs <password-file> [port]`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { readFileSync } = await import('node:fs');
  const password = readFileSync(process.argv[2], 'utf8').trim();
  const standIn = await startEcrStandIn({
    password,
    port: Number(process.argv[3] ?? 0),
  });
  console.log(`AWS_ENDPOINT_URL_ECR=${standIn.endpoint}`);
}
