import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
// What the bundle gets for every import of "undici" (tsconfig.json paths).
import { Pool, ProxyAgent } from '../shims/undici-core/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let dir: string;
let server: Server;
let socketPath: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'undici-core-'));
  socketPath = path.join(dir, 'engine.sock');
  server = createServer((request, response) => {
    response.setHeader('api-version', '1.41');
    response.end(`${request.method} ${request.url}`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

test('a Pool over a unix socket has the request API, as the engine client uses it', async () => {
  const pool = new Pool('http://localhost', { socketPath, connections: 2 });
  try {
    const response = await pool.request({ method: 'GET', path: '/_ping' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['api-version']).toBe('1.41');
    expect(await response.body.text()).toBe('GET /_ping');
  } finally {
    await pool.close();
  }
});

test('ProxyAgent, all @actions/http-client takes from undici, is there', async () => {
  const agent = new ProxyAgent({ uri: 'http://proxy.invalid:3128' });
  expect(typeof agent.request).toBe('function');
  await agent.close();
});

test('the bundle holds none of what undici loads only through its index', async () => {
  const bundle = await readFile(path.join(ROOT, 'dist', 'index.js'), 'utf8');
  // fetch, WebSocket, EventSource and the mocks: 0.75 MB that every start
  // would compile and run (see shims/undici-core/index.js).
  for (const part of [
    'function fetchFinale',
    'class WebSocket extends',
    'class EventSource',
    'class MockAgent',
  ]) {
    expect(bundle).not.toContain(part);
  }
  expect(bundle).toContain('class Pool extends');
});
