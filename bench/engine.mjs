// The two Engine API calls the bench itself needs, over the unix socket:
// the engine's version (for the machine description) and untagging what the
// contenders tagged (so the engine's image list does not grow run by run).
import { request } from 'node:http';

export const DOCKER_SOCKET = '/var/run/docker.sock';

function engineRequest(method, path) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: DOCKER_SOCKET, method, path, timeout: 30_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('engine timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** "20.10.24+dfsg1 (API 1.41)" from the headers of /_ping. */
export async function engineVersion() {
  const { status, headers } = await engineRequest('GET', '/_ping');
  if (status !== 200) throw new Error(`/_ping answered HTTP ${status}`);
  const server = /Docker\/(\S+)/.exec(String(headers.server ?? ''))?.[1];
  return `${server ?? 'unknown'} (API ${headers['api-version'] ?? '?'})`;
}

/** Removes a tag; the image stays (noprune, and its own name still holds it). */
export async function untag(reference) {
  await engineRequest(
    'DELETE',
    `/v1.41/images/${encodeURIComponent(reference)}?noprune=1`,
  );
}
