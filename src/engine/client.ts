import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Pool, type Dispatcher } from 'undici';
import { ActionError } from '../errors.js';
import { chooseApiVersion } from './api-version.js';
import { describeEndpoint, type EngineEndpoint } from './docker-host.js';

export interface ImageDetails {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

// Several tags are pushed at once, each on its own connection.
const MAX_CONNECTIONS = 8;
// The engine writes a progress line at least every few seconds while it
// uploads; this long a silence means it has stopped answering.
const BODY_TIMEOUT_MS = 5 * 60_000;

/**
 * The few Engine API calls the action needs, over a unix socket or TCP.
 * Names passed in must already be validated; they are still encoded.
 */
export class EngineClient {
  private constructor(
    private readonly pool: Pool,
    private readonly where: string,
    readonly apiVersion: string,
  ) {}

  static async connect(endpoint: EngineEndpoint): Promise<EngineClient> {
    const pool = await openPool(endpoint);
    const where = describeEndpoint(endpoint);
    try {
      const response = await send(pool, where, {
        method: 'GET',
        path: '/_ping',
      });
      await response.body.dump();
      const header = response.headers['api-version'];
      const engineVersion = Array.isArray(header) ? header[0] : header;
      return new EngineClient(pool, where, chooseApiVersion(engineVersion));
    } catch (error) {
      await pool.destroy();
      throw explainTlsFailure(error, endpoint, where) ?? error;
    }
  }

  async inspectImage(reference: string): Promise<ImageDetails | undefined> {
    const response = await this.call(
      'GET',
      `/images/${encodeName(reference)}/json`,
    );
    if (response.statusCode === 404) {
      await response.body.dump();
      return undefined;
    }
    const body = (await this.expectOk(response, 'inspect the image')) as {
      Id: string;
      RepoTags?: string[] | null;
      RepoDigests?: string[] | null;
      Size?: number;
    };
    return {
      id: body.Id,
      repoTags: body.RepoTags ?? [],
      repoDigests: body.RepoDigests ?? [],
      size: body.Size ?? 0,
    };
  }

  async tagImage(
    source: string,
    repository: string,
    tag: string,
  ): Promise<void> {
    const query = new URLSearchParams({ repo: repository, tag });
    const response = await this.call(
      'POST',
      `/images/${encodeName(source)}/tag?${query}`,
    );
    await this.expectOk(response, `tag the image as ${repository}:${tag}`);
  }

  /**
   * Starts a push and returns the progress stream. The engine answers 200
   * as soon as it starts writing progress; failures after that arrive as
   * lines in the stream, which the caller must read.
   */
  async pushImage(
    repository: string,
    tag: string,
    registryAuth: string,
  ): Promise<AsyncIterable<Uint8Array>> {
    const query = new URLSearchParams({ tag });
    const response = await this.call(
      'POST',
      `/images/${encodeName(repository)}/push?${query}`,
      { 'X-Registry-Auth': registryAuth },
    );
    if (response.statusCode !== 200) {
      await this.expectOk(response, `push ${repository}:${tag}`);
    }
    return explainStreamErrors(response.body, this.where);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private call(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    headers: Record<string, string> = {},
  ): Promise<Dispatcher.ResponseData> {
    return send(this.pool, this.where, {
      method,
      path: `/v${this.apiVersion}${pathAndQuery}`,
      headers,
    });
  }

  private async expectOk(
    response: Dispatcher.ResponseData,
    action: string,
  ): Promise<unknown> {
    const text = await response.body.text();
    if (response.statusCode >= 200 && response.statusCode < 300) {
      // Podman answers a tag request with a lone newline.
      return text.trim() ? JSON.parse(text) : undefined;
    }
    throw new ActionError(
      `The Docker engine could not ${action}: HTTP ${response.statusCode}: ${engineMessage(text)}`,
    );
  }
}

/** A connection that drops while the stream is read gets our message too. */
async function* explainStreamErrors(
  body: AsyncIterable<Uint8Array>,
  where: string,
): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw explainConnectionError(error, where);
  }
}

/** Encodes each path segment; the engine routes `{name:.*}` with slashes. */
export function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

function engineMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: show the text itself
  }
  return body.trim().slice(0, 500) || '(empty response)';
}

async function openPool(endpoint: EngineEndpoint): Promise<Pool> {
  const options = {
    connections: MAX_CONNECTIONS,
    bodyTimeout: BODY_TIMEOUT_MS,
  };
  if (endpoint.kind === 'unix') {
    return new Pool('http://localhost', {
      ...options,
      socketPath: endpoint.socketPath,
    });
  }
  if (!endpoint.tls) return new Pool(endpoint.origin, options);
  const { certPath, verify } = endpoint.tls;
  const read = (file: string) =>
    readFile(path.join(certPath, file)).catch((error: unknown) => {
      throw new ActionError(
        `Cannot read ${file} from DOCKER_CERT_PATH ${certPath} for the TLS connection to the engine. ` +
          'Put ca.pem, cert.pem and key.pem there, or unset DOCKER_TLS_VERIFY.',
        { cause: error },
      );
    });
  // With DOCKER_TLS alone (no verification) the docker CLI sends a client
  // certificate only when there is one; so do we.
  const readIfThere = (file: string) =>
    readFile(path.join(certPath, file)).catch(() => undefined);
  const [ca, cert, key] = await Promise.all(
    verify
      ? [read('ca.pem'), read('cert.pem'), read('key.pem')]
      : [undefined, readIfThere('cert.pem'), readIfThere('key.pem')],
  );
  return new Pool(endpoint.origin, {
    ...options,
    connect: {
      ca,
      ...(cert && key ? { cert, key } : {}),
      rejectUnauthorized: verify,
    },
  });
}

async function send(
  pool: Pool,
  where: string,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  try {
    return await pool.request(options);
  } catch (error) {
    throw explainConnectionError(error, where);
  }
}

export function explainConnectionError(error: unknown, where: string): Error {
  const code = errorCode(error);
  switch (code) {
    case 'ENOENT':
      return new ActionError(
        `No Docker engine socket at ${where}. Start Docker on the runner, or set docker-host (or DOCKER_HOST) to the engine's socket.`,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
      return new ActionError(
        `Permission denied opening ${where}. Let the runner's user use Docker (add it to the docker group), or set docker-host to a socket it may use.`,
        { cause: error },
      );
    case 'ECONNREFUSED':
      // Also what a restarting engine answers: worth another attempt.
      return new EngineConnectionError(
        `Nothing is listening at ${where}. Start the Docker engine, or fix docker-host.`,
        { cause: error },
      );
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new EngineConnectionError(
        `The Docker engine at ${where} stopped answering for ${BODY_TIMEOUT_MS / 60_000} minutes. Check that the engine is running and healthy.`,
        { cause: error },
      );
    default:
      return new EngineConnectionError(
        `Lost the connection to the Docker engine at ${where} (${code ?? describe(error)}). Check that the engine is running and healthy.`,
        { cause: error },
      );
  }
}

// Node's codes for a server certificate that the client does not accept.
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * Certificate problems show on the first request, /_ping. They are not
 * worth another attempt, and "lost the connection" would hide them.
 */
function explainTlsFailure(
  error: unknown,
  endpoint: EngineEndpoint,
  where: string,
): ActionError | undefined {
  if (endpoint.kind !== 'tcp') return undefined;
  const code = errorCode(error) ?? firstCode(error) ?? '';
  if (!endpoint.tls) {
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') return undefined;
    return new ActionError(
      `The Docker engine at ${where} closed the connection before answering /_ping. ` +
        'If it expects TLS (usually on port 2376), set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH.',
      { cause: error },
    );
  }
  const certPath = `DOCKER_CERT_PATH ${endpoint.tls.certPath}`;
  const fail = (message: string) =>
    new ActionError(`The Docker engine at ${where} ${message}`, {
      cause: error,
    });
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return fail(
      `presented a TLS certificate that ca.pem in ${certPath} does not verify (${code}). ` +
        "Put the CA that signed the engine's certificate there as ca.pem.",
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fail(
      `presented a TLS certificate that is not for ${new URL(where).hostname} (${code}). ` +
        'Set docker-host to a name or address the certificate lists.',
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return fail(
      `presented a TLS certificate that is not valid now (${code}). Renew it, or check the runner's clock.`,
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return fail(
      `does not speak TLS (${code}). Unset DOCKER_TLS_VERIFY and DOCKER_TLS, or use the engine's TLS port.`,
    );
  }
  // TLS 1.3 clients finish the handshake before the server checks their
  // certificate: a refusal shows as an alert, or as the connection closing.
  if (
    /^ERR_SSL_.*ALERT/.test(code) ||
    code === 'UND_ERR_SOCKET' ||
    code === 'ECONNRESET'
  ) {
    return fail(
      `closed the TLS connection before answering /_ping (${code}): it may not accept the client certificate. ` +
        `Use cert.pem and key.pem in ${certPath} signed by a CA the engine trusts (dockerd --tlscacert).`,
    );
  }
  return undefined;
}

/** The first code in the cause chain, undici's own included. */
function firstCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A dropped or failed connection to the engine: worth another attempt. */
export class EngineConnectionError extends ActionError {
  override name = 'EngineConnectionError';
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
