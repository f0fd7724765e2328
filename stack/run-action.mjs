// Runs the built action (dist/index.js) the way the GitHub Actions runner
// does: inputs as INPUT_<NAME> with hyphens kept and action.yml defaults
// filled in, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, node 24, and a
// HOME of its own so that any write to ~/.docker would be seen.
import { spawn } from 'node:child_process';
import {
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
);

/** Inputs with action.yml defaults applied, as INPUT_* variables. */
export async function inputEnvironment(inputs) {
  const manifest = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8'));
  const env = {};
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
    const value = inputs[name] ?? spec.default;
    if (value !== undefined)
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value);
  }
  for (const name of Object.keys(inputs)) {
    if (!(name in (manifest.inputs ?? {})))
      throw new Error(`action.yml has no input ${name}`);
  }
  return env;
}

/** Reads a GITHUB_OUTPUT file (name=value and name<<DELIMITER blocks). */
export function parseOutputFile(text) {
  /** @type {Record<string, string>} */
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]);
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(
        line.indexOf('=') + 1,
      );
    }
  }
  return outputs;
}

/**
 * @param {object} options
 * @param {Record<string,string>} options.inputs action inputs by name
 * @param {Record<string,string|undefined>} [options.env] extra environment
 * @param {(chunk: string) => void} [options.onOutput] live stdout+stderr
 * @param {boolean} [options.sandboxed] run under Node's permission model:
 *   no child processes, no writes but to the runner's command files
 * @param {number} [options.uid] run as this user (files are handed to it)
 * @param {string} [options.entry] the bundle to run (default dist/index.js)
 * @param {string} [options.node] the node binary (default: node 24)
 */
export async function runAction({
  inputs,
  env = {},
  onOutput,
  sandboxed,
  uid,
  entry = path.join(ROOT, 'dist', 'index.js'),
  node = nodeBinary(),
}) {
  const work = await mkdtemp(path.join(tmpdir(), 'ecr-push-run-'));
  const files = await runnerFiles(work);
  if (uid !== undefined) {
    for (const file of [work, ...Object.values(files)])
      await chown(file, uid, uid);
  }

  const childEnv = {
    ...minimalEnvironment(),
    ...runnerVariables(files, work),
    ...(await inputEnvironment(inputs)),
    ...env,
  };
  for (const [key, value] of Object.entries(childEnv)) {
    if (value === undefined) delete childEnv[key];
  }

  const started = performance.now();
  const sandbox = [
    '--permission',
    '--allow-fs-read=*',
    ...[files.output, files.summary, files.state].map(
      (f) => `--allow-fs-write=${f}`,
    ),
  ];
  const args = [...(sandboxed ? sandbox : []), entry];
  const child = spawn(node, args, {
    env: childEnv,
    uid,
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    onOutput?.(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
    onOutput?.(chunk);
  });
  const exitCode = await new Promise((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  const seconds = (performance.now() - started) / 1000;

  const result = {
    exitCode,
    seconds,
    stdout,
    stderr,
    outputs: parseOutputFile(await readFile(files.output, 'utf8')),
    outputFile: await readFile(files.output, 'utf8'),
    summary: await readFile(files.summary, 'utf8'),
    state: await readFile(files.state, 'utf8'),
    dockerConfigWritten: await exists(path.join(files.home, '.docker')),
  };
  await rm(work, { recursive: true, force: true });
  return result;
}

/**
 * The files a runner gives a step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
 * GITHUB_STATE, empty) and a HOME of its own, inside `work`.
 */
export async function runnerFiles(work) {
  const files = {
    output: path.join(work, 'output'),
    summary: path.join(work, 'summary'),
    state: path.join(work, 'state'),
    home: path.join(work, 'home'),
  };
  await Promise.all(
    [files.output, files.summary, files.state].map((f) => writeFile(f, '')),
  );
  await mkdir(files.home);
  return files;
}

/** What the runner sets for a step, pointing at `runnerFiles`. */
export function runnerVariables(files, work) {
  return {
    HOME: files.home,
    RUNNER_TEMP: work,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    // No instance metadata service here: never let the SDK look for one.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The action must run on node 24, like the runner's `using: node24`. */
export function nodeBinary() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return process.execPath;
  return path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
}

// What a runner passes down, minus anything of this machine's that would
// change the action's behaviour (AWS profiles, DOCKER_HOST, proxies).
function minimalEnvironment() {
  const keep = ['PATH', 'LANG', 'TZ'];
  return Object.fromEntries(
    keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  );
}

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
