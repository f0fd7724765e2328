// What the tests and the demo need to know about the local stack that
// stack/up.sh brought up, and a way to ask its registry what it holds.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MANIFEST_TYPES } from './ecr-standin.mjs';
import { ROOT } from './run-action.mjs';

const run = promisify(execFile);

export const STACK_DIR = process.env.STACK_DIR || '/var/lib/ecr-push-stack';

/** Starts (or reuses) the engine and registry; idempotent. */
export async function bringUpStack() {
  await run('bash', [path.join(ROOT, 'stack', 'up.sh')], {
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return readStack();
}

export function readStack() {
  const stack = JSON.parse(
    readFileSync(path.join(STACK_DIR, 'stack.json'), 'utf8'),
  );
  return {
    ...stack,
    password: readFileSync(stack.passwordFile, 'utf8').trim(),
    otherPassword: readFileSync(stack.otherPasswordFile, 'utf8').trim(),
    ca: readFileSync(stack.caCert),
  };
}

/** Makes a local image of random bytes (no pull); returns its ID. */
export async function makeImage(reference, sizeMb, layers = 1) {
  const { stdout } = await run(
    'bash',
    [
      path.join(ROOT, 'stack', 'make-image.sh'),
      reference,
      String(sizeMb),
      String(layers),
    ],
    { env: { ...process.env, REUSE: '1' }, timeout: 10 * 60_000 },
  );
  return stdout.trim();
}

/**
 * Asks the registry itself which manifest digest a tag names, so a test
 * checks what was stored, not what the action said. Undefined when absent.
 */
export function registryDigest(stack, host, repository, tag) {
  const auth = Buffer.from(`AWS:${stack.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: stack.registryPort,
        method: 'HEAD',
        path: `/v2/${repository}/manifests/${encodeURIComponent(tag)}`,
        ca: stack.ca,
        headers: { authorization: `Basic ${auth}`, accept: MANIFEST_TYPES },
      },
      (res) => {
        res.resume();
        if (res.statusCode === 404) return resolve(undefined);
        if (res.statusCode !== 200) {
          return reject(new Error(`registry answered HTTP ${res.statusCode}`));
        }
        resolve(res.headers['docker-content-digest']);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
