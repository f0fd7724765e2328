// Empties a repository of the local registry after each push.
//
// Why: a fresh repository name alone does not make the next push upload its
// layers. The engine remembers which repository it last pushed each layer to
// and asks the registry to *mount* the blob from there ("Mounted from ..."),
// which copies nothing. Deleting the repository's blob links makes that
// mount fail, so the next contender really uploads every layer.
// The blobs themselves stay in the registry's store (only its garbage
// collector removes them), but every round pushes the same image, so they
// are stored once and the disk does not grow.
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import * as path from 'node:path';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

function registryRequest(stack, host, method, urlPath, headers = {}) {
  const auth = Buffer.from(`AWS:${stack.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: stack.registryPort,
        method,
        path: urlPath,
        ca: stack.ca,
        timeout: 30_000,
        headers: { authorization: `Basic ${auth}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('registry timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Deletes the manifest and blob links that `tag` of `repository` refers to
 * (the other tags of a bench push name the same manifest), then the empty
 * repository directory. Returns false when there was nothing to delete.
 */
export async function emptyRepository(stack, host, repository, tag) {
  const base = `/v2/${repository}`;
  const manifest = await registryRequest(
    stack,
    host,
    'GET',
    `${base}/manifests/${encodeURIComponent(tag)}`,
    { accept: MANIFEST_TYPES },
  );
  if (manifest.status !== 200) {
    await removeRepositoryDirectory(stack, repository);
    return false;
  }
  const { config, layers = [] } = JSON.parse(manifest.body);
  for (const blob of [config, ...layers].filter(Boolean)) {
    await registryRequest(
      stack,
      host,
      'DELETE',
      `${base}/blobs/${blob.digest}`,
    );
  }
  // Deleting by digest also removes every tag that points at it.
  const digest = manifest.headers['docker-content-digest'];
  await registryRequest(stack, host, 'DELETE', `${base}/manifests/${digest}`);
  await removeRepositoryDirectory(stack, repository);
  return true;
}

// The registry API cannot delete a repository, only what is in it; the
// directories left would pile up run after run. Only ever bench-* names.
async function removeRepositoryDirectory(stack, repository) {
  if (!/^bench-[a-z0-9-]+$/.test(repository)) return;
  const repositories = path.join(
    stack.registryData,
    'docker',
    'registry',
    'v2',
    'repositories',
  );
  await rm(path.join(repositories, repository), {
    recursive: true,
    force: true,
  });
}
