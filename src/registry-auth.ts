import * as core from '@actions/core';
import { ActionError } from './errors.js';

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Registry host without scheme, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com */
  serverAddress: string;
}

/**
 * Encodes the `X-Registry-Auth` header. The engine decodes it with Go's
 * base64.URLEncoding: URL-safe alphabet *with* `=` padding. Node's
 * 'base64url' drops the padding, and a header that fails to decode is
 * silently ignored, so the push then fails with "no basic auth credentials".
 */
export function encodeRegistryAuth(credentials: RegistryCredentials): string {
  const json = JSON.stringify({
    username: credentials.username,
    password: credentials.password,
    serveraddress: credentials.serverAddress,
  });
  return Buffer.from(json, 'utf8')
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** Builds the header and masks it before anything else can print it. */
export function createRegistryAuthHeader(
  credentials: RegistryCredentials,
): string {
  const header = encodeRegistryAuth(credentials);
  core.setSecret(header);
  return header;
}

/**
 * ECR's authorizationToken is base64 of `AWS:<password>`. Both the token and
 * the password are masked here, where they first exist in clear.
 */
export function decodeAuthorizationToken(token: string): {
  username: string;
  password: string;
} {
  core.setSecret(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new ActionError(
      'ECR returned an authorization token that is not of the form user:password. ' +
        'Check that the ECR endpoint (AWS_ENDPOINT_URL_ECR, if set) is really ECR.',
    );
  }
  const password = decoded.slice(colon + 1);
  core.setSecret(password);
  return { username: decoded.slice(0, colon), password };
}
