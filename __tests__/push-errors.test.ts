import { explainPushFailure } from '../src/push-errors.js';

const ref = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1';

test.each([
  [
    "name unknown: The repository with name 'app' does not exist in the registry with id '123456789012'",
    /Create the ECR repository/,
  ],
  [
    "tag invalid: The image tag '1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable.",
    /immutable/,
  ],
  [
    "tag invalid: The image tag '1' already exists in the 'app' repository and cannot be overwritten because the tag is immutable.",
    /immutable/,
  ],
  [
    'denied: Your authorization token has expired. Reauthenticate and try again.',
    /expired/,
  ],
  ['error from registry: denied: User is not authorized', /ecr:PutImage/],
  ['toomanyrequests: Rate exceeded', /rate limiting/],
  ['no basic auth credentials', /sent no credentials/],
  ['blob upload unknown', /^Pushing .* failed: blob upload unknown\.$/],
])('%s', (message, hint) => {
  const error = explainPushFailure(ref, message);
  expect(error.message).toContain(`Pushing ${ref} failed: ${message}`);
  expect(error.message).toMatch(hint);
});
