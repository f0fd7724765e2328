// Exposes an engine's unix socket on a loopback TCP port, in plain or with
// TLS that requires a client certificate signed by a given CA, the way
// `dockerd -H tcp://… --tlsverify` does. The bytes are passed through
// untouched: the client speaks to the real engine behind it.
//
// As a module: startEngineForwarder({ socketPath, tls? }) (the tests).
// As a script: node stack/engine-forwarder.mjs SOCKET [PORT] [--tls DIR]
//   DIR as engines.sh writes it ($STACK_DIR/engine-tls: ca/ca.pem and
//   server/{cert,key}.pem); runs until killed.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';

/**
 * @param {object} options
 * @param {string} options.socketPath the engine's unix socket
 * @param {string} [options.host] address to listen on (default 127.0.0.1)
 * @param {number} [options.port] port (default: any free one)
 * @param {{ ca: Buffer|string, cert: Buffer|string, key: Buffer|string }} [options.tls]
 *   serve TLS with this pair and require client certificates signed by ca
 */
export async function startEngineForwarder({
  socketPath,
  host = '127.0.0.1',
  port = 0,
  tls: tlsOptions,
}) {
  /** @type {Set<net.Socket>} */
  const open = new Set();
  /** Subjects (CN) of the client certificates of accepted TLS connections. */
  const clients = [];
  /** Codes of TLS handshakes that failed (e.g. a client cert not accepted). */
  const handshakeErrors = [];
  let connections = 0;

  const forward = (client) => {
    connections += 1;
    open.add(client);
    if (client instanceof tls.TLSSocket) {
      clients.push(client.getPeerCertificate()?.subject?.CN ?? '');
    }
    const engine = net.connect(socketPath);
    open.add(engine);
    const done = () => {
      open.delete(client);
      open.delete(engine);
      client.destroy();
      engine.destroy();
    };
    client.on('error', done).on('close', done);
    engine.on('error', done).on('close', done);
    client.pipe(engine);
    engine.pipe(client);
  };

  const server = tlsOptions
    ? tls.createServer(
        {
          ca: tlsOptions.ca,
          cert: tlsOptions.cert,
          key: tlsOptions.key,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        forward,
      )
    : net.createServer(forward);
  server.on('tlsClientError', (error, socket) => {
    handshakeErrors.push(error.code ?? error.message);
    socket.destroy();
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = /** @type {net.AddressInfo} */ (server.address());

  return {
    host,
    port: address.port,
    /** tcp://127.0.0.1:PORT, for docker-host or DOCKER_HOST. */
    dockerHost: `tcp://${host}:${address.port}`,
    clients,
    handshakeErrors,
    connectionCount: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve(undefined));
      }),
  };
}

/** TLS options from engines.sh's directory layout. */
export function engineTlsFiles(dir) {
  const read = (file) => readFileSync(path.join(dir, file));
  return {
    ca: read('ca/ca.pem'),
    cert: read('server/cert.pem'),
    key: read('server/key.pem'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const tlsAt = args.indexOf('--tls');
  const tlsDir = tlsAt >= 0 ? args.splice(tlsAt, 2)[1] : undefined;
  const [socketPath, port = '0'] = args;
  if (!socketPath || (tlsAt >= 0 && !tlsDir)) {
    console.error(
      'usage: node stack/engine-forwarder.mjs SOCKET [PORT] [--tls DIR]',
    );
    process.exit(2);
  }
  const forwarder = await startEngineForwarder({
    socketPath,
    port: Number(port),
    tls: tlsDir ? engineTlsFiles(tlsDir) : undefined,
  });
  console.log(
    `forwarding ${forwarder.dockerHost} (${tlsDir ? 'TLS, client certificates required' : 'plain'}) to unix://${socketPath}`,
  );
}
