import { ActionError } from '../errors.js';
import type { EngineEndpoint } from './docker-host.js';

// Why a connection to the engine failed, in words that say what to do.

/** The engine writes progress at least every few seconds during a push. */
export const BODY_TIMEOUT_MS = 5 * 60_000;

export function explainConnectionError(error: unknown, where: string): Error {
  const code = errorCode(error);
  switch (code) {
    case 'ENOENT':
      return new ActionError(
        `No Docker engine socket at ${where}. Start Docker on the runner, or ` +
          `set docker-host (or DOCKER_HOST) to the engine's socket.`,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
      return new ActionError(
        `Permission denied opening ${where}. Let the runner's user use ` +
          `Docker (add it to the docker group), or set docker-host to a socket ` +
          `it may use.`,
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
        `The Docker engine at ${where} stopped answering for ` +
          `${BODY_TIMEOUT_MS / 60_000} minutes. Check that the engine is ` +
          `running and healthy.`,
        { cause: error },
      );
    default:
      return new EngineConnectionError(
        `Lost the connection to the Docker engine at ${where} ` +
          `(${code ?? describe(error)}). Check that the engine is running and ` +
          `healthy.`,
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
export function explainTlsFailure(
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
      `presented a TLS certificate that is not valid now (${code}). Renew ` +
        `it, or check the runner's clock.`,
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return fail(
      `does not speak TLS (${code}). Unset DOCKER_TLS_VERIFY and DOCKER_TLS, ` +
        `or use the engine's TLS port.`,
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
      `closed the TLS connection before answering /_ping (${code}): it may ` +
        `not accept the client certificate. ` +
        `Use cert.pem and key.pem in ${certPath} signed by a CA the engine ` +
        `trusts (dockerd --tlscacert).`,
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
