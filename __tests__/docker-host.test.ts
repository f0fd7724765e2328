import { chooseApiVersion } from '../src/engine/api-version.js';
import { encodeName } from '../src/engine/client.js';
import {
  defaultDockerHost,
  parseDockerHost,
} from '../src/engine/docker-host.js';

describe('parseDockerHost', () => {
  test.each([
    [
      'unix:///var/run/docker.sock',
      {},
      { kind: 'unix', socketPath: '/var/run/docker.sock' },
    ],
    [
      'unix:///run/user/1001/docker.sock',
      {},
      { kind: 'unix', socketPath: '/run/user/1001/docker.sock' },
    ],
    [
      'tcp://127.0.0.1:2375',
      {},
      { kind: 'tcp', origin: 'http://127.0.0.1:2375' },
    ],
    ['tcp://docker', {}, { kind: 'tcp', origin: 'http://docker:2375' }],
    [
      'tcp://docker:2376',
      { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      {
        kind: 'tcp',
        origin: 'https://docker:2376',
        tls: { certPath: '/certs', verify: true },
      },
    ],
    [
      'tcp://docker',
      { DOCKER_TLS: '1', HOME: '/home/r' },
      {
        kind: 'tcp',
        origin: 'https://docker:2376',
        tls: { certPath: '/home/r/.docker', verify: false },
      },
    ],
  ])('%s', (value, env, expected) => {
    expect(parseDockerHost(value, env)).toEqual(expected);
  });

  test.each([
    ['ssh://user@host', /not supported/],
    ['npipe:////./pipe/docker_engine', /not supported/],
    ['/var/run/docker.sock', /not supported/],
    ['unix://relative.sock', /absolute socket path/],
    ['tcp://host:2375/path', /no path/],
    ['tcp://user:pw@host:2375', /no path or credentials/],
  ])('%s is refused', (value, message) => {
    expect(() => parseDockerHost(value, {})).toThrow(message);
  });
});

describe('chooseApiVersion', () => {
  test.each([
    ['1.41', '1.41'],
    ['1.40', '1.40'],
    ['1.48', '1.48'],
    ['1.52', '1.52'],
    ['1.60', '1.52'],
    ['2.0', '1.52'],
  ])('engine %s → %s', (engine, chosen) => {
    expect(chooseApiVersion(engine)).toBe(chosen);
  });

  test('an older engine gets both versions named', () => {
    expect(() => chooseApiVersion('1.39')).toThrow(
      /API 1\.39, older than 1\.40/,
    );
  });

  test.each([undefined, '', 'abc', '1'])('no usable version: %j', (value) => {
    expect(() => chooseApiVersion(value)).toThrow(
      /did not report its API version/,
    );
  });
});

describe('encodeName', () => {
  test('keeps slashes, encodes everything else that is not plain', () => {
    expect(encodeName('host:443/a/b')).toBe('host%3A443/a/b');
    expect(encodeName('sha256:abc')).toBe('sha256%3Aabc');
    expect(encodeName('a?b#c d')).toBe('a%3Fb%23c%20d');
  });
});

describe('defaultDockerHost', () => {
  const only =
    (...files: string[]) =>
    (file: string) =>
      files.includes(file);
  const env = { XDG_RUNTIME_DIR: '/run/user/1001' };

  test.each([
    [
      'the system socket when it exists',
      only('/var/run/docker.sock', '/run/user/1001/docker.sock'),
      env,
      'unix:///var/run/docker.sock',
    ],
    [
      'the rootless socket when only it exists',
      only('/run/user/1001/docker.sock'),
      env,
      'unix:///run/user/1001/docker.sock',
    ],
    [
      'the system socket when neither exists',
      only(),
      env,
      'unix:///var/run/docker.sock',
    ],
    [
      'the system socket without XDG_RUNTIME_DIR',
      only('/x/docker.sock'),
      {},
      'unix:///var/run/docker.sock',
    ],
  ])('%s', (_name, exists, environment, expected) => {
    expect(defaultDockerHost(environment, exists)).toBe(expected);
  });
});
