import * as core from '@actions/core';
import {
  GetAuthorizationTokenCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import type { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { ActionError } from './errors.js';
import { isValidRegistryHost } from './reference.js';
import { ECR_PUBLIC_HOST } from './registry-host.js';
import {
  decodeAuthorizationToken,
  type RegistryCredentials,
} from './registry-auth.js';

export interface EcrAuthorization extends RegistryCredentials {
  expiresAt?: Date;
}

/**
 * Asks ECR for a registry password with the default credential chain. One
 * token opens every registry of that region the caller may push to; the
 * registry it names is the caller's own.
 */
export async function getEcrAuthorization(
  client: ECRClient,
  region: string,
): Promise<EcrAuthorization> {
  let response;
  try {
    response = await client.send(new GetAuthorizationTokenCommand({}));
  } catch (error) {
    throw explainEcrError(error, `ECR in ${region}`, PRIVATE_PERMISSION);
  }
  const data = response.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new ActionError(
      `ECR in ${region} answered GetAuthorizationToken without a token or ` +
        `registry endpoint. Try again; if it persists, check ` +
        `AWS_ENDPOINT_URL_ECR.`,
    );
  }
  const { username, password } = decodeAuthorizationToken(
    data.authorizationToken,
  );
  const serverAddress = registryHostOf(data.proxyEndpoint);
  core.debug(
    `ECR registry ${serverAddress}, token expires ` +
      `${data.expiresAt?.toISOString() ?? 'at an unknown time'}`,
  );
  return { username, password, serverAddress, expiresAt: data.expiresAt };
}

/** ECR Public tokens come from us-east-1 and name no registry. */
export async function getEcrPublicAuthorization(
  client: ECRPUBLICClient,
): Promise<EcrAuthorization> {
  let response;
  try {
    const { GetAuthorizationTokenCommand: GetPublicAuthorizationTokenCommand } =
      await import('@aws-sdk/client-ecr-public');
    response = await client.send(new GetPublicAuthorizationTokenCommand({}));
  } catch (error) {
    throw explainEcrError(error, 'ECR Public', PUBLIC_PERMISSION);
  }
  const data = response.authorizationData;
  if (!data?.authorizationToken) {
    throw new ActionError(
      'ECR Public answered GetAuthorizationToken without a token. Try again; ' +
        'if it persists, check AWS_ENDPOINT_URL_ECR_PUBLIC.',
    );
  }
  const { username, password } = decodeAuthorizationToken(
    data.authorizationToken,
  );
  return {
    username,
    password,
    serverAddress: ECR_PUBLIC_HOST,
    expiresAt: data.expiresAt,
  };
}

const PRIVATE_PERMISSION = '"ecr:GetAuthorizationToken" on resource "*"';
const PUBLIC_PERMISSION =
  '"ecr-public:GetAuthorizationToken" and "sts:GetServiceBearerToken" on resource "*"';

/** `https://123456789012.dkr.ecr.us-east-1.amazonaws.com` → the host. */
export function registryHostOf(proxyEndpoint: string): string {
  let host: string;
  try {
    host = new URL(proxyEndpoint).host;
  } catch {
    host = '';
  }
  if (!host || !isValidRegistryHost(host)) {
    throw new ActionError(
      `ECR returned a registry endpoint that is not a host name: ${JSON.stringify(proxyEndpoint)}.`,
    );
  }
  return host;
}

function explainEcrError(
  error: unknown,
  service: string,
  permission: string,
): ActionError {
  const name = (error as { name?: string })?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const because = ` (${name}: ${message})`;
  switch (name) {
    case 'CredentialsProviderError':
      return new ActionError(
        'No AWS credentials found. Add aws-actions/configure-aws-credentials before this step, ' +
          'or provide AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.' +
          because,
        { cause: error },
      );
    case 'AccessDeniedException':
      return new ActionError(
        `${service} denied GetAuthorizationToken: the AWS identity lacks the IAM permission ` +
          `${permission}. Add it to the role's policy.` +
          because,
        { cause: error },
      );
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return new ActionError(
        'AWS rejected the credentials when asking ECR for a token: they are invalid or expired. ' +
          'Check the role or keys given to aws-actions/configure-aws-credentials.' +
          because,
        { cause: error },
      );
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return new ActionError(
        `${service} kept throttling GetAuthorizationToken after the SDK's retries. ` +
          'Try again later, or raise AWS_MAX_ATTEMPTS.' +
          because,
        { cause: error },
      );
    default:
      return new ActionError(
        `Could not get an authorization token from ${service}: ${name || 'Error'}: ${message}. ` +
          'Check the region, the network path to AWS (and any proxy), and ' +
          'AWS_ENDPOINT_URL_ECR if set.',
        { cause: error },
      );
  }
}
