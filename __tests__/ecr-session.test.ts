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
  expect(fresh).not.toBe(old);
  // A push that failed with the old header after the refresh uses the new one.
  expect(await session.refresh(old)).toBe(true);
  // A failure with the new header means the new token is refused too.
  expect(await session.refresh(fresh)).toBe(false);
  expect(fetches).toBe(1);
});
