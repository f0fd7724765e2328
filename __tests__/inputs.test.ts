import { EMPTY_INPUT_DEFAULTS, readInputs, splitList } from '../src/inputs.js';

// @actions/core reads inputs from INPUT_<NAME> variables, as the runner sets them.
function withInputs(inputs: Record<string, string>, run: () => void) {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('INPUT_')) delete process.env[key];
  }
  // The runner fills in action.yml defaults.
  process.env['INPUT_MAX-ATTEMPTS'] = '3';
  process.env['INPUT_CREATE-REPOSITORY'] = 'false';
  process.env['INPUT_IMAGE-TAG-MUTABILITY'] = 'MUTABLE';
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.toUpperCase()}`] = value;
  }
  try {
    run();
  } finally {
    process.env = saved;
  }
}

const read = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
  let result: ReturnType<typeof readInputs> | undefined;
  withInputs(inputs, () => {
    result = readInputs(env);
  });
  return result!;
};

describe('readInputs', () => {
  test('derives repository and tag from image', () => {
    const inputs = read({ image: 'keyword-dev:123', region: 'eu-west-1' });
    expect(inputs).toMatchObject({
      repository: 'keyword-dev',
      tags: [{ kind: 'tag', tag: '123' }],
      region: 'eu-west-1',
      dockerHost: 'unix:///var/run/docker.sock',
      maxAttempts: 3,
    });
  });

  test('drops the registry host of image for the repository; latest without tag', () => {
    const inputs = read({ image: 'ghcr.io/org/app', region: 'us-east-1' });
    expect(inputs.repository).toBe('org/app');
    expect(inputs.tags).toEqual([{ kind: 'tag', tag: 'latest' }]);
  });

  test('reads tags split by newlines and commas, trimmed and unique', () => {
    const inputs = read({
      image: 'app:1',
      tags: ' a, b\n\nc ,a\n',
      region: 'us-east-1',
    });
    expect(inputs.tags.map((t) => t.kind === 'tag' && t.tag)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  test('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(
      read(
        { image: 'app' },
        { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1' },
      ).region,
    ).toBe('us-west-2');
    expect(
      read({ image: 'app' }, { AWS_DEFAULT_REGION: 'eu-west-1' }).region,
    ).toBe('eu-west-1');
  });

  test('whole references need neither repository nor region', () => {
    const inputs = read({
      image: `sha256:${'a'.repeat(64)}`,
      tags: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1',
    });
    expect(inputs.region).toBeUndefined();
    expect(inputs.repository).toBe('');
    expect(inputs.tags).toEqual([
      {
        kind: 'reference',
        target: expect.objectContaining({ repository: 'team/app', tag: '1' }),
      },
    ]);
  });

  test('docker-host input wins over DOCKER_HOST', () => {
    const env = {
      AWS_REGION: 'us-east-1',
      DOCKER_HOST: 'tcp://127.0.0.1:2375',
    };
    expect(read({ image: 'app' }, env).dockerHost).toBe('tcp://127.0.0.1:2375');
    expect(
      read({ image: 'app', 'docker-host': 'unix:///x.sock' }, env).dockerHost,
    ).toBe('unix:///x.sock');
  });

  test.each<[Record<string, string>, NodeJS.ProcessEnv, RegExp]>([
    [{}, { AWS_REGION: 'us-east-1' }, /Input "image" is required/],
    [
      { image: 'app', 'create-repository': 'yes' },
      { AWS_REGION: 'us-east-1' },
      /"create-repository" must be true or false, not "yes"/,
    ],
    [
      { image: 'App:1' },
      { AWS_REGION: 'us-east-1' },
      /"image" is not a valid Docker image reference: "App:1"/,
    ],
    [
      { image: 'app', tags: 'ok,bad tag' },
      { AWS_REGION: 'us-east-1' },
      /"bad tag", which is neither a tag nor a reference/,
    ],
    [
      { image: 'app', tags: '../x' },
      { AWS_REGION: 'us-east-1' },
      /"..\/x", which is neither a tag nor a reference/,
    ],
    [
      { image: 'app', repository: 'a--b' },
      { AWS_REGION: 'us-east-1' },
      /"repository" is not a valid ECR repository name/,
    ],
    [
      { image: 'a__b' },
      { AWS_REGION: 'us-east-1' },
      /taken from "image" is not a valid ECR repository name.*Set the "repository" input/,
    ],
    [
      { image: `sha256:${'a'.repeat(64)}` },
      { AWS_REGION: 'us-east-1' },
      /"repository" is required when "image" is an image ID/,
    ],
    [{ image: 'app' }, {}, /No AWS region/],
    [{ image: 'app', region: 'us east 1' }, {}, /is not an AWS region name/],
    [
      { image: 'app', 'max-attempts': '0' },
      { AWS_REGION: 'us-east-1' },
      /"max-attempts" must be a whole number from 1 to 10/,
    ],
    [
      { image: 'app', 'max-attempts': 'three' },
      { AWS_REGION: 'us-east-1' },
      /"max-attempts"/,
    ],
  ])('rejects %j', (inputs, env, message) => {
    expect(() => read(inputs, env)).toThrow(message);
  });
});

test('empty inputs take the defaults action.yml declares', async () => {
  const { parse } = await import('yaml');
  const { readFile } = await import('node:fs/promises');
  const manifest = parse(await readFile('action.yml', 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  for (const [name, value] of Object.entries(EMPTY_INPUT_DEFAULTS)) {
    expect([name, manifest.inputs[name]?.default]).toEqual([name, value]);
  }
  const inputs = read(
    { image: 'app', 'max-attempts': '', 'create-repository': '' },
    { AWS_REGION: 'us-east-1' },
  );
  expect(inputs.maxAttempts).toBe(3);
  expect(inputs.repositorySettings).toBeUndefined();
});

test('splitList', () => {
  expect(splitList('')).toEqual([]);
  expect(splitList('a\r\nb')).toEqual(['a', 'b']);
});
