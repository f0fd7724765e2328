import { EngineConnectionError } from './engine/connection-errors.js';
import { ActionError } from './errors.js';
import { PushStreamError, RegistryPushError } from './push-stream.js';
import type { FailureKind } from './retry.js';

// Registry texts differ by image store: the graphdriver store passes the
// registry's code through (`name unknown: …`, `denied: …`); the containerd
// store wraps it (`error from registry: …`). Matching is on lowercase text.
const TOKEN_REFUSED = [
  'authorization token has expired',
  'unauthorized: authentication required',
  'no basic auth credentials',
];
const TRANSIENT = [
  'toomanyrequests',
  'rate exceeded',
  'received unexpected http status: 5',
  'internal server error',
  'bad gateway',
  'service unavailable',
  'gateway timeout',
  'connection reset',
  'broken pipe',
  'unexpected eof',
  'i/o timeout',
  'tls handshake timeout',
  'connection refused',
  'server misbehaving',
];

/**
 * ECR's answer to overwriting an immutable tag, in both of its wordings
 * ("…because the repository is immutable", "…because the tag is
 * immutable") and through either image store.
 */
export function isImmutableTagError(
  error: unknown,
): error is RegistryPushError {
  return (
    error instanceof RegistryPushError &&
    /tag invalid.*cannot be overwritten/i.test(error.registryMessage)
  );
}

/** Decides whether a failed push is worth another attempt. */
export function classifyPushFailure(error: unknown): FailureKind {
  if (error instanceof EngineConnectionError) return 'transient';
  if (error instanceof PushStreamError) return 'transient';
  if (error instanceof RegistryPushError) {
    const text = error.registryMessage.toLowerCase();
    if (TOKEN_REFUSED.some((t) => text.includes(t))) return 'token';
    if (TRANSIENT.some((t) => text.includes(t))) return 'transient';
  }
  return 'permanent';
}

/**
 * Adds the cause and the fix to a failure of one push. Called once the
 * retries are over, so the message is the one the user reads. (Immutable
 * tags never get here: pushReference asks ECR what the tag holds.)
 */
export function explainPushFailure(
  reference: string,
  error: unknown,
  attempts: number,
): ActionError {
  if (!(error instanceof RegistryPushError)) {
    const message = error instanceof Error ? error.message : String(error);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    return new ActionError(`Pushing ${reference} failed${tries}: ${message}`, {
      cause: error,
    });
  }
  const message = error.registryMessage;
  const text = message.toLowerCase();
  const failed = `Pushing ${reference} failed: ${message}`;
  const because = (hint: string) =>
    new ActionError(`${failed}. ${hint}`, { cause: error });

  if (text.includes('authorization token has expired')) {
    return because(
      'The ECR token was refused as expired, also after fetching a new one. ' +
        'Check the runner clock, then run the job again.',
    );
  }
  if (
    text.includes('no basic auth credentials') ||
    text.includes('authentication required')
  ) {
    return because(
      'The registry did not accept the ECR token, also after fetching a new ' +
        "one. The token must come from the registry's own account and region: " +
        "check the region input and the repository's registry.",
    );
  }
  if (
    text.includes('name unknown') ||
    text.includes('does not exist in the registry')
  ) {
    return because(
      'The ECR repository does not exist. Create it (aws ecr ' +
        'create-repository, or your infrastructure code), set ' +
        'create-repository: true, or fix the repository input.',
    );
  }
  if (text.includes('toomanyrequests') || text.includes('rate exceeded')) {
    return because(
      `The registry is rate limiting pushes, and ${attempts} attempts did ` +
        `not get through. Run the job again later, or raise max-attempts.`,
    );
  }
  if (text.includes('limit on number of layers')) {
    return because(
      'ECR refuses images with too many layers (about 500; the limit is not ' +
        'documented). Squash layers, for example by merging RUN steps or with ' +
        'a multi-stage build.',
    );
  }
  if (text.includes('layer') && /too large|exceeds|limit/.test(text)) {
    return because(
      "A layer is over ECR's limit of 52,000 MiB. Spread the large files " +
        'over several layers, or make them smaller.',
    );
  }
  if (text.includes('denied') || text.includes('forbidden')) {
    return because(
      'The registry refused the push: the AWS identity needs ' +
        'ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ' +
        'ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage and ' +
        'ecr:BatchGetImage on this repository.',
    );
  }
  if (TRANSIENT.some((t) => text.includes(t))) {
    return because(
      `The registry or the network failed ${attempts} times in a row. Run ` +
        `the job again; if it persists, check the AWS Health Dashboard for ECR.`,
    );
  }
  return new ActionError(`${failed}.`, { cause: error });
}
