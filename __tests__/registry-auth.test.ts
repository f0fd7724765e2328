import { jest } from '@jest/globals';

const setSecret = jest.fn();
jest.unstable_mockModule('@actions/core', () => ({
  setSecret,
  debug: jest.fn(),
}));
const {
  encodeRegistryAuth,
  decodeAuthorizationToken,
  createRegistryAuthHeader,
} = await import('../src/registry-auth.js');

// Go's base64.URLEncoding, the engine's decoder: URL alphabet, padding required.
function goUrlDecode(text: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error('illegal base64 data');
  }
  return Buffer.from(
    text.replace(/-/g, '+').replace(/_/g, '/'),
    'base64',
  ).toString('utf8');
}

describe('encodeRegistryAuth', () => {
  // "~~~" encodes to "fn5+" in standard base64: a '+' the engine cannot read.
  const credentials = {
    username: 'AWS',
    password: 'pa~~~ss?>>>',
    serverAddress: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  };

  test('uses the URL-safe alphabet where standard base64 has + and /', () => {
    const standard = Buffer.from(
      JSON.stringify({
        username: 'AWS',
        password: credentials.password,
        serveraddress: credentials.serverAddress,
      }),
    ).toString('base64');
    expect(standard).toMatch(/[+/]/);
    const header = encodeRegistryAuth(credentials);
    expect(header).not.toMatch(/[+/]/);
    expect(JSON.parse(goUrlDecode(header))).toEqual({
      username: 'AWS',
      password: credentials.password,
      serveraddress: credentials.serverAddress,
    });
  });

  test.each([0, 1, 2])(
    'keeps the = padding (JSON length %i mod 3)',
    (remainder) => {
      let password = 'p';
      while (
        JSON.stringify({ username: 'AWS', password, serveraddress: 'h' })
          .length %
          3 !==
        remainder
      ) {
        password += 'x';
      }
      const header = encodeRegistryAuth({
        username: 'AWS',
        password,
        serverAddress: 'h',
      });
      expect(header.length % 4).toBe(0);
      expect(header.endsWith('=')).toBe(remainder !== 0);
      expect(JSON.parse(goUrlDecode(header)).password).toBe(password);
    },
  );

  test('the header is masked as soon as it is made', () => {
    setSecret.mockClear();
    const header = createRegistryAuthHeader(credentials);
    expect(setSecret).toHaveBeenCalledWith(header);
  });
});

describe('decodeAuthorizationToken', () => {
  test('splits AWS:<password> at the first colon and masks both', () => {
    setSecret.mockClear();
    const password = 'abc:def+/=';
    const token = Buffer.from(`AWS:${password}`).toString('base64');
    expect(decodeAuthorizationToken(token)).toEqual({
      username: 'AWS',
      password,
    });
    expect(setSecret).toHaveBeenCalledWith(token);
    expect(setSecret).toHaveBeenCalledWith(password);
  });

  test.each([
    '',
    Buffer.from('AWS').toString('base64'),
    Buffer.from('AWS:').toString('base64'),
  ])('rejects a token without user and password: %j', (token) => {
    expect(() => decodeAuthorizationToken(token)).toThrow(
      /not of the form user:password/,
    );
  });
});
