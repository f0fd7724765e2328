// What the engine tests need to know about the engines stack/engines.sh
// brought up (Docker over TLS material, Podman's service), and a way to make
// an image in Podman's store.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './run-action.mjs';
import { STACK_DIR } from './stack.mjs';

export { engineTlsFiles, startEngineForwarder } from './engine-forwarder.mjs';

const run = promisify(execFile);

/** Runs stack/engines.sh (which runs up.sh first); idempotent. */
export async function bringUpEngines() {
  await run('bash', [path.join(ROOT, 'stack', 'engines.sh')], {
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return readEngines();
}

export function readEngines() {
  return JSON.parse(readFileSync(path.join(STACK_DIR, 'engines.json'), 'utf8'));
}

/** Imports an image of random bytes into Podman's store; returns its ID. */
export async function makePodmanImage(reference, sizeMb) {
  const { stdout } = await run(
    'bash',
    [path.join(ROOT, 'stack', 'podman-image.sh'), reference, String(sizeMb)],
    { env: { ...process.env, REUSE: '1' }, timeout: 5 * 60_000 },
  );
  return stdout.trim();
}
