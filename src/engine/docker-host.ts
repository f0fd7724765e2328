import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ActionError, quote } from '../errors.js';

const SYSTEM_SOCKET = '/var/run/docker.sock';

/**
 * Where the engine is when nothing says: the system socket, or else the
 * socket of a rootless engine ($XDG_RUNTIME_DIR/docker.sock) when only that
 * one exists, as on self-hosted runners with rootless Docker.
 */
export function defaultDockerHost(
  env: NodeJS.ProcessEnv,
  exists: (file: string) => boolean = existsSync,
): string {
  const rootless = env.XDG_RUNTIME_DIR
    ? path.join(env.XDG_RUNTIME_DIR, 'docker.sock')
    : undefined;
  if (!exists(SYSTEM_SOCKET) && rootless && exists(rootless)) {
    return `unix://${rootless}`;
  }
  return `unix://${SYSTEM_SOCKET}`;
}

export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; origin: string; tls?: TlsSettings };

export interface TlsSettings {
  /** Folder holding ca.pem, cert.pem and key.pem, as the docker CLI reads it. */
  certPath: string;
  verify: boolean;
}

/**
 * Reads a DOCKER_HOST value the way the docker CLI does, including its TLS
 * variables. ssh:// is a CLI feature (it runs `docker system dial-stdio` on
 * the far side) and npipe:// is Windows-only; neither is an HTTP endpoint.
 */
export function parseDockerHost(
  value: string,
  env: NodeJS.ProcessEnv,
): EngineEndpoint {
  const scheme = /^([a-z]+):\/\//.exec(value)?.[1];
  if (scheme === 'unix') {
    const socketPath = value.slice('unix://'.length);
    if (!path.isAbsolute(socketPath)) {
      throw new ActionError(
        `docker-host ${quote(value)} must name an absolute socket path, such ` +
          `as unix:///var/run/docker.sock.`,
      );
    }
    return { kind: 'unix', socketPath };
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    return parseTcpHost(value, scheme, env);
  }
  throw new ActionError(
    `docker-host ${quote(value)} is not supported: use unix:///path/to/docker.sock ` +
      'or tcp://host:port (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS). ' +
      'For ssh:// engines, forward the remote socket to a local one first.',
  );
}

function parseTcpHost(
  value: string,
  scheme: string,
  env: NodeJS.ProcessEnv,
): EngineEndpoint {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  const useTls = verify || Boolean(env.DOCKER_TLS) || scheme === 'https';
  let url: URL;
  try {
    url = new URL(value.replace(/^[a-z]+:/, 'http:'));
  } catch {
    throw new ActionError(
      `docker-host ${quote(value)} is not a valid address. Use tcp://host:port.`,
    );
  }
  if (url.pathname !== '/' || url.search || url.username) {
    throw new ActionError(
      `docker-host ${quote(value)} must be just tcp://host:port, with no path or credentials.`,
    );
  }
  const port = url.port || (useTls ? '2376' : '2375');
  const origin = `${useTls ? 'https' : 'http'}://${url.hostname}:${port}`;
  if (!useTls) return { kind: 'tcp', origin };
  const home = env.HOME ?? '';
  const certPath = env.DOCKER_CERT_PATH || path.join(home, '.docker');
  return { kind: 'tcp', origin, tls: { certPath, verify } };
}

export function describeEndpoint(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'unix'
    ? `unix://${endpoint.socketPath}`
    : endpoint.origin;
}
