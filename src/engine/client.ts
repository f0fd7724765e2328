import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Pool, type Dispatcher } from 'undici';
import { ActionError } from '../errors.js';
import { chooseApiVersion } from './api-version.js';
import {
  BODY_TIMEOUT_MS,
  explainConnectionError,
  explainTlsFailure,
} from './connection-errors.js';
import { describeEndpoint, type EngineEndpoint } from './docker-host.js';

export interface ImageDetails {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

// Several tags are pushed at once, each on its own connection.
const MAX_CONNECTIONS = 8;

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
        `Cannot read ${file} from DOCKER_CERT_PATH ${certPath} for the TLS ` +
          `connection to the engine. ` +
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
