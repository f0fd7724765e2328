import { ActionError } from './errors.js';

/**
 * Adds the cause and the fix to an error the registry reported inside a push
 * stream. Texts differ by image store: the graphdriver store passes the
 * registry's code through (`name unknown: …`, `denied: …`); the containerd
 * store wraps it (`error from registry: …`).
 */
export function explainPushFailure(
  reference: string,
  message: string,
): ActionError {
  const text = message.toLowerCase();
  const failed = `Pushing ${reference} failed: ${message}`;
  if (text.includes('no basic auth credentials')) {
    return new ActionError(
      `${failed}. The engine sent no credentials to the registry: the registry host of the reference and the token's registry differ, or the engine could not read X-Registry-Auth.`,
    );
  }
  if (text.includes('authorization token has expired')) {
    return new ActionError(
      `${failed}. The ECR token expired during the push; run the job again.`,
    );
  }
  if (
    text.includes('name unknown') ||
    text.includes('does not exist in the registry')
  ) {
    return new ActionError(
      `${failed}. Create the ECR repository first (aws ecr create-repository, or infrastructure code), or fix the repository input.`,
    );
  }
  if (text.includes('tag invalid') && text.includes('cannot be overwritten')) {
    return new ActionError(
      `${failed}. The tag is immutable in this repository and already holds another image: push a new tag instead of reusing this one.`,
    );
  }
  if (text.includes('toomanyrequests') || text.includes('rate exceeded')) {
    return new ActionError(
      `${failed}. The registry is rate limiting pushes; try again later.`,
    );
  }
  if (
    text.includes('denied') ||
    text.includes('unauthorized') ||
    text.includes('forbidden')
  ) {
    return new ActionError(
      `${failed}. The registry refused the push: the AWS identity needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage and ecr:BatchGetImage on this repository.`,
    );
  }
  return new ActionError(`${failed}.`);
}
