// The three ways of pushing that the bench compares. Each takes the same
// push (image, repository, tags) and returns the same shape of result:
//   { ok, seconds, error?, mounted, peakRssMb?, logLines? }
// `mounted` counts "Mounted from" lines: a push that mounted a blob instead
// of uploading it would make its time meaningless, so it is shown.
import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countLogLines, runActionMeasured } from './action-runner.mjs';
import { DOCKER_SOCKET } from './engine.mjs';
import { baseEnvironment, lastLine, timedRun } from './timed-run.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * @typedef {object} Push
 * @property {string} image local image name:tag
 * @property {string} imageId local image ID (sha256:...)
 * @property {string} host registry host
 * @property {string} repository repository path (no host)
 * @property {string[]} tags
 */

/**
 * @typedef {object} Session what the bench prepared once for every run
 * @property {object} stack readStack() of stack/stack.mjs
 * @property {string} tempDir mode 700, removed at the end
 * @property {string} headerFile the X-Registry-Auth header line, mode 600
 * @property {string} ecrEndpoint the ECR stand-in's URL
 */

export const CONTENDERS = [
  { name: 'floor', run: runFloor },
  { name: 'login+push', run: runLoginPush },
  { name: 'action', run: runAction },
];

/** Engine API only: curl in one bash process, header computed beforehand. */
async function runFloor(
  /** @type {Session} */ session,
  /** @type {Push} */ push,
) {
  const run = await timedRun(
    'bash',
    [
      path.join(HERE, 'floor.sh'),
      session.headerFile,
      push.imageId,
      `${push.host}/${push.repository}`,
      ...push.tags,
    ],
    { env: baseEnvironment() },
  );
  return cliResult(run, push);
}

/** docker login + docker tag/push per tag, with a throw-away DOCKER_CONFIG. */
async function runLoginPush(
  /** @type {Session} */ session,
  /** @type {Push} */ push,
) {
  const config = await mkdtemp(path.join(session.tempDir, 'docker-config-'));
  try {
    const run = await timedRun(
      'bash',
      [
        path.join(HERE, 'login-push.sh'),
        session.stack.passwordFile,
        push.host,
        push.image,
        `${push.host}/${push.repository}`,
        ...push.tags,
      ],
      {
        env: baseEnvironment({
          DOCKER_CONFIG: config,
          DOCKER_HOST: `unix://${DOCKER_SOCKET}`,
          HOME: config,
        }),
      },
    );
    return cliResult(run, push);
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

/** What the action needs to reach the ECR stand-in with the real SDK. */
export function standInEnvironment(endpoint) {
  return {
    AWS_ENDPOINT_URL_ECR: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** dist/index.js as the runner starts it, against the ECR stand-in. */
async function runAction(
  /** @type {Session} */ session,
  /** @type {Push} */ push,
) {
  const run = await runActionMeasured({
    inputs: {
      image: push.image,
      repository: push.repository,
      tags: push.tags.join('\n'),
      region: 'us-east-1',
    },
    env: standInEnvironment(session.ecrEndpoint),
  });
  const pushed = (run.outputs['image-uris'] ?? '').split('\n').filter(Boolean);
  const ok =
    run.exitCode === 0 &&
    /^sha256:[0-9a-f]{64}$/.test(run.outputs.digest ?? '') &&
    pushed.length === push.tags.length;
  return {
    ok,
    seconds: run.seconds,
    error: ok
      ? undefined
      : (run.error ??
        `outputs: ${pushed.length} of ${push.tags.length} references`),
    mounted: countMounted(run.stdout),
    peakRssMb: run.peakRssKb === undefined ? undefined : run.peakRssKb / 1024,
    logLines: countLogLines(run.stdout),
  };
}

// The scripts exit 0 only when every push succeeded; the digest lines are
// counted again here so a script that silently skipped a tag is caught too.
function cliResult(run, push) {
  const digests = run.stdout.match(/digest: sha256:[0-9a-f]{64}/g) ?? [];
  const ok = run.code === 0 && digests.length === push.tags.length;
  return {
    ok,
    seconds: run.seconds,
    error: ok
      ? undefined
      : lastLine(run.stderr) ||
        `exit code ${run.code}, ${digests.length} of ${push.tags.length} digests`,
    mounted: countMounted(run.stdout),
  };
}

function countMounted(text) {
  return (text.match(/Mounted from/g) ?? []).length;
}
