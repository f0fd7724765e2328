import { jest } from '@jest/globals';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';

const setSecret = jest.fn();
jest.unstable_mockModule('@actions/core', () => ({
  setSecret,
  debug: jest.fn(),
}));
const { getEcrAuthorization, registryHostOf } = await import('../src/ecr.js');

const ecr = mockClient(ECRClient);
const token = Buffer.from('AWS:secret-password').toString('base64');

beforeEach(() => {
  ecr.reset();
  setSecret.mockClear();
});

test('returns the registry host and masked credentials', async () => {
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      {
        authorizationToken: token,
        proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
        expiresAt: new Date('2026-12-04T00:00:00Z'),
      },
    ],
  });
  const auth = await getEcrAuthorization(
    new ECRClient({ region: 'us-east-1' }),
    'us-east-1',
  );
  expect(auth).toMatchObject({
    username: 'AWS',
    password: 'secret-password',
    serverAddress: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  expect(setSecret).toHaveBeenCalledWith(token);
  expect(setSecret).toHaveBeenCalledWith('secret-password');
});

function failWith(name: string) {
  const error = Object.assign(new Error(`${name} happened`), { name });
  ecr.on(GetAuthorizationTokenCommand).rejects(error);
}

test.each([
  ['AccessDeniedException', /"ecr:GetAuthorizationToken"/],
  [
    'CredentialsProviderError',
    /No AWS credentials found.*configure-aws-credentials/,
  ],
  ['UnrecognizedClientException', /invalid or expired/],
  ['ThrottlingException', /kept throttling.*AWS_MAX_ATTEMPTS/],
  [
    'SomethingElse',
    /Could not get an authorization token from ECR in us-east-1: SomethingElse/,
  ],
])('%s gets its own message', async (name, message) => {
  failWith(name);
  await expect(
    getEcrAuthorization(new ECRClient({ region: 'us-east-1' }), 'us-east-1'),
  ).rejects.toThrow(message);
});

test('an answer without token is an error', async () => {
  ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [] });
  await expect(
    getEcrAuthorization(new ECRClient({ region: 'us-east-1' }), 'us-east-1'),
  ).rejects.toThrow(/without a token/);
});

test.each([
  [
    'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  ],
  ['https://localhost:5000', 'localhost:5000'],
])('registryHostOf(%s)', (endpoint, host) => {
  expect(registryHostOf(endpoint)).toBe(host);
});

test('registryHostOf refuses a non-URL', () => {
  expect(() => registryHostOf('not a url')).toThrow(/not a host name/);
});
