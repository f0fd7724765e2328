import { jest } from '@jest/globals';

jest.unstable_mockModule('@actions/core', () => ({
  setSecret: jest.fn(),
  debug: jest.fn(),
}));
const { EcrSession } = await import('../src/ecr-session.js');

const auth = (password: string) => ({
  username: 'AWS',
  password,
  serverAddress: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
});

test('replaces the token once; concurrent failures share the refresh', async () => {
  let fetches = 0;
  const session = new EcrSession(auth('old'), async () =>
    auth(`new${++fetches}`),
  );
  const old = session.header();
  const [a, b] = await Promise.all([
    session.refresh(old),
    session.refresh(old),
  ]);
  expect([a, b, fetches]).toEqual([true, true, 1]);
  const fresh = session.header();
  expect(fresh.header).not.toBe(old.header);
  // A push that failed with the old token after the refresh uses the new one.
  expect(await session.refresh(old)).toBe(true);
  // A failure with the new token means the new token is refused too.
  expect(await session.refresh(fresh)).toBe(false);
  expect(fetches).toBe(1);
});

test('a new token that reads like the old one still counts as new', async () => {
  const session = new EcrSession(auth('same'), async () => auth('same'));
  const first = session.header();
  const [a, b] = await Promise.all([
    session.refresh(first),
    session.refresh(first),
  ]);
  expect([a, b]).toEqual([true, true]);
  expect(session.header()).toEqual({
    header: first.header,
    generation: 1,
  });
  expect(await session.refresh(session.header())).toBe(false);
});
