import {
  ecrRepositoryProblem,
  formatLocalImage,
  isValidTag,
  parseLocalImage,
} from '../src/reference.js';

describe('parseLocalImage', () => {
  test.each([
    ['keyword-dev:123', { kind: 'name', path: 'keyword-dev', tag: '123' }],
    ['keyword-dev', { kind: 'name', path: 'keyword-dev' }],
    ['org/app:v1.2', { kind: 'name', path: 'org/app', tag: 'v1.2' }],
    [
      'ghcr.io/org/app:1',
      { kind: 'name', domain: 'ghcr.io', path: 'org/app', tag: '1' },
    ],
    [
      'localhost:5000/app',
      { kind: 'name', domain: 'localhost:5000', path: 'app' },
    ],
    ['localhost/app', { kind: 'name', domain: 'localhost', path: 'app' }],
    ['a__b/c--d:x', { kind: 'name', path: 'a__b/c--d', tag: 'x' }],
    [
      `app@sha256:${'a'.repeat(64)}`,
      { kind: 'name', path: 'app', digest: `sha256:${'a'.repeat(64)}` },
    ],
    [
      `sha256:${'b'.repeat(64)}`,
      { kind: 'id', id: `sha256:${'b'.repeat(64)}` },
    ],
    ['0123456789ab', { kind: 'id', id: '0123456789ab' }],
  ])('%s parses', (input, expected) => {
    expect(parseLocalImage(input)).toEqual(expected);
  });

  test.each([
    '',
    'App:1',
    'app:',
    'app:-x',
    ':1',
    'app/',
    '/app',
    'a//b',
    'a..b',
    'a___b',
    'app:1 2',
    'app\n:1',
    '../etc',
    'app/../x',
    'app?x=1',
    'app#frag',
    'app%2f',
    `app:${'t'.repeat(129)}`,
    `app@sha256:${'a'.repeat(63)}`,
    'a'.repeat(256),
    '-host.io/app',
  ])('%j is rejected', (input) => {
    expect(parseLocalImage(input)).toBeUndefined();
  });

  test('round-trips through formatLocalImage', () => {
    for (const input of ['ghcr.io/org/app:1', 'app', 'localhost:5000/a/b:c']) {
      const parsed = parseLocalImage(input);
      expect(parsed && formatLocalImage(parsed)).toBe(input);
    }
  });
});

describe('isValidTag', () => {
  test.each([
    ['latest', true],
    ['v1.2.3', true],
    ['_x', true],
    ['A-B_c.d', true],
    ['t'.repeat(128), true],
    ['t'.repeat(129), false],
    ['.x', false],
    ['-x', false],
    ['', false],
    ['a/b', false],
    ['a:b', false],
    ['a b', false],
    ['ü', false],
  ])('%j → %s', (tag, valid) => {
    expect(isValidTag(tag)).toBe(valid);
  });
});

describe('ecrRepositoryProblem', () => {
  test.each(['ab', 'my-app', 'team/my_app', 'a.b/c-d/e_f', 'x'.repeat(256)])(
    '%s is valid',
    (name) => expect(ecrRepositoryProblem(name)).toBeUndefined(),
  );
  test.each([
    'a',
    'x'.repeat(257),
    'My-App',
    'a--b',
    'a__b',
    'a/',
    '/a',
    'a//b',
    '-a',
    'a-',
    'a b',
  ])('%j is invalid', (name) =>
    expect(ecrRepositoryProblem(name)).toEqual(expect.any(String)),
  );
});
