import * as core from '@actions/core';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ActionError } from './errors.js';
import { isValidRegistryHost } from './reference.js';
import {
  decodeAuthorizationToken,
  type RegistryCredentials,
} from './registry-auth.js';

export interface EcrAuthorization extends RegistryCredentials {
  expiresAt?: Date;
}

/**
 * Asks ECR for a registry password with the default credential chain. The
 * client is created without an endpoint so that the SDK keeps honouring
 * AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL; AWS_MAX_ATTEMPTS likewise.
 */
export async function getEcrAuthorization(
  region: string,
  client: ECRClient = new ECRClient({ region }),
): Promise<EcrAuthorization> {
  let response;
  try {
    response = await client.send(new GetAuthorizationTokenCommand({}));
  } catch (error) {
    throw explainEcrError(error, region);
  }
  const data = response.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new ActionError(
      `ECR in ${region} answered GetAuthorizationToken without a token or registry endpoint. Try again; if it persists, check AWS_ENDPOINT_URL_ECR.`,
    );
  }
  const { username, password } = decodeAuthorizationToken(
    data.authorizationToken,
  );
  const serverAddress = registryHostOf(data.proxyEndpoint);
  core.debug(
    `ECR registry ${serverAddress}, token expires ${data.expiresAt?.toISOString() ?? 'at an unknown time'}`,
  );
  return { username, password, serverAddress, expiresAt: data.expiresAt };
}

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

function explainEcrError(error: unknown, region: string): ActionError {
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
        'ECR denied GetAuthorizationToken: the AWS identity lacks the IAM permission ' +
          '"ecr:GetAuthorizationToken" on resource "*". Add it to the role\'s policy.' +
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
        `ECR kept throttling GetAuthorizationToken in ${region} after the SDK's retries. ` +
          'Try again later, or raise AWS_MAX_ATTEMPTS.' +
          because,
        { cause: error },
      );
    default:
      return new ActionError(
        `Could not get an ECR authorization token in ${region}: ${name || 'Error'}: ${message}. ` +
          'Check the region, the network path to ECR, and AWS_ENDPOINT_URL_ECR if set.',
        { cause: error },
      );
  }
}
