import {
  defaultRegistryHost,
  parseRegistryHost,
} from '../src/registry-host.js';

test.each([
  [
    '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    '123456789012',
    'us-east-1',
    false,
    false,
  ],
  [
    '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com',
    '123456789012',
    'us-gov-west-1',
    true,
    false,
  ],
  [
    '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
    '123456789012',
    'cn-north-1',
    false,
    false,
  ],
  [
    '123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu',
    '123456789012',
    'eusc-de-east-1',
    false,
    false,
  ],
  [
    '123456789012.dkr-ecr.eu-west-1.on.aws',
    '123456789012',
    'eu-west-1',
    false,
    true,
  ],
  [
    '123456789012.dkr-ecr-fips.us-east-2.on.aws',
    '123456789012',
    'us-east-2',
    true,
    true,
  ],
  [
    '123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM',
    '123456789012',
    'us-east-1',
    false,
    false,
  ],
])('%s is a private registry', (host, accountId, region, fips, dualStack) => {
  expect(parseRegistryHost(host)).toEqual({
    kind: 'private',
    host: host.toLowerCase(),
    accountId,
    region,
    fips,
    dualStack,
  });
});

test('public.ecr.aws is ECR Public, opened by us-east-1 tokens', () => {
  expect(parseRegistryHost('public.ecr.aws')).toEqual({
    kind: 'public',
    host: 'public.ecr.aws',
    region: 'us-east-1',
  });
});

test.each([
  'ghcr.io',
  'docker.io',
  '12345678901.dkr.ecr.us-east-1.amazonaws.com',
  '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io',
  'evil.io/123456789012.dkr.ecr.us-east-1.amazonaws.com',
  'localhost:5000',
])('%s is not ECR', (host) => {
  expect(parseRegistryHost(host)).toBeUndefined();
});

test('a port after an ECR host is kept', () => {
  expect(
    parseRegistryHost('123456789012.dkr.ecr.us-east-1.amazonaws.com:5443'),
  ).toMatchObject({
    kind: 'private',
    host: '123456789012.dkr.ecr.us-east-1.amazonaws.com:5443',
    accountId: '123456789012',
    region: 'us-east-1',
  });
});

describe('defaultRegistryHost', () => {
  test('an ECR host is parsed as usual', () => {
    expect(
      defaultRegistryHost(
        '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
        'us-east-1',
      ),
    ).toMatchObject({ accountId: '210987654321', region: 'eu-west-1' });
  });

  test('any other host is the default registry of the region', () => {
    expect(defaultRegistryHost('localhost:5000', 'eu-west-1')).toEqual({
      kind: 'private',
      host: 'localhost:5000',
      accountId: undefined,
      region: 'eu-west-1',
      fips: false,
      dualStack: false,
    });
  });
});
