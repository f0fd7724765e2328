import { EngineConnectionError } from '../src/engine/connection-errors.js';
import { ActionError } from '../src/errors.js';
import {
  classifyPushFailure,
  explainPushFailure,
  isImmutableTagError,
} from '../src/push-errors.js';
import { PushStreamError, RegistryPushError } from '../src/push-stream.js';

const ref = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1';

describe('explainPushFailure', () => {
  test.each([
    [
      "name unknown: The repository with name 'app' does not exist in the " +
        "registry with id '123456789012'",
      /create-repository: true/,
    ],
    [
      'denied: Your authorization token has expired. Reauthenticate and try again.',
      /expired, also after fetching a new one/,
    ],
    ['unauthorized: authentication required', /did not accept the ECR token/],
    ['error from registry: denied: User is not authorized', /ecr:PutImage/],
    ['toomanyrequests: Rate exceeded', /rate limiting.*max-attempts/],
    [
      'received unexpected HTTP status: 503 Service Unavailable',
      /failed 3 times in a row/,
    ],
    ['no basic auth credentials', /did not accept the ECR token/],
    [
      "unsupported: Invalid parameter at 'ImageManifest' failed to satisfy " +
        "constraint: 'Limit on number of layers per image exceeded'",
      /too many layers \(about 500/,
    ],
    ['blob upload unknown', /^Pushing .* failed: blob upload unknown\.$/],
  ])('%s', (message, hint) => {
    const error = explainPushFailure(ref, new RegistryPushError(message), 3);
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toContain(`Pushing ${ref} failed: ${message}`);
    expect(error.message).toMatch(hint);
  });

  test('other failures name the reference and the attempts', () => {
    const error = explainPushFailure(
      ref,
      new PushStreamError('stream cut.'),
      3,
    );
    expect(error.message).toBe(
      `Pushing ${ref} failed (after 3 attempts): stream cut.`,
    );
  });
});

describe('classifyPushFailure', () => {
  test.each([
    [new EngineConnectionError('socket closed'), 'transient'],
    [new PushStreamError('ended without a digest'), 'transient'],
    [new RegistryPushError('toomanyrequests: Rate exceeded'), 'transient'],
    [
      new RegistryPushError(
        'error from registry: toomanyrequests: Rate exceeded',
      ),
      'transient',
    ],
    [
      new RegistryPushError('received unexpected HTTP status: 502 Bad Gateway'),
      'transient',
    ],
    [
      new RegistryPushError(
        'read tcp 10.0.0.1:443: read: connection reset by peer',
      ),
      'transient',
    ],
    [
      new RegistryPushError(
        'denied: Your authorization token has expired. Reauthenticate and try again.',
      ),
      'token',
    ],
    [new RegistryPushError('unauthorized: authentication required'), 'token'],
    [
      new RegistryPushError(
        'denied: User is not authorized to perform ecr:PutImage',
      ),
      'permanent',
    ],
    [
      new RegistryPushError(
        "name unknown: The repository with name 'a' does not exist",
      ),
      'permanent',
    ],
    [
      new RegistryPushError('tag invalid: … because the tag is immutable.'),
      'permanent',
    ],
    [new ActionError('invalid input'), 'permanent'],
    [new Error('bug'), 'permanent'],
  ])('%s → %s', (error, kind) => {
    expect(classifyPushFailure(error)).toBe(kind);
  });
});

describe('isImmutableTagError', () => {
  test.each([
    [
      "tag invalid: The image tag '1' already exists in the 'app' repository " +
        'and cannot be overwritten because the repository is immutable.',
      true,
    ],
    [
      "tag invalid: The image tag '1' already exists in the 'app' repository " +
        'and cannot be overwritten because the tag is immutable.',
      true,
    ],
    [
      "error from registry: tag invalid: The image tag '1' already exists in " +
        "the 'app' repository and cannot be overwritten because the tag is " +
        'immutable.',
      true,
    ],
    ['tag invalid: bad tag', false],
    ['denied: cannot be overwritten', false],
  ])('%s → %s', (message, expected) => {
    expect(isImmutableTagError(new RegistryPushError(message))).toBe(expected);
  });

  test('only registry errors count', () => {
    expect(
      isImmutableTagError(new Error('tag invalid: x cannot be overwritten')),
    ).toBe(false);
  });
});
