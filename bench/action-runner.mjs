// Runs dist/index.js as the runner does (stack/run-action.mjs) but under
// /usr/bin/time, for the action's peak RSS: a process's VmHWM cannot be read
// from outside once it has exited, and GNU time gets it from wait4().
// Reuses the runner conventions of stack/run-action.mjs (inputs, output file,
// node 24) so the action sees the same environment as in the tests.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  inputEnvironment,
  nodeBinary,
  parseOutputFile,
  ROOT,
  runnerFiles as stepFiles,
  runnerVariables,
} from '../stack/run-action.mjs';
import { baseEnvironment, lastLine, timedRun } from './timed-run.mjs';

export const ACTION_SCRIPT = path.join(ROOT, 'dist', 'index.js');
export const GNU_TIME = '/usr/bin/time';

/**
 * @param {object} options
 * @param {Record<string, string>} options.inputs action inputs by name
 * @param {Record<string, string>} options.env extra environment
 * @returns {Promise<{ exitCode: number | null, seconds: number,
 *   peakRssKb: number | undefined, stdout: string, stderr: string,
 *   outputs: Record<string, string>, error: string | undefined }>}
 */
export async function runActionMeasured({ inputs, env }) {
  const work = await mkdtemp(path.join(tmpdir(), 'ecr-push-bench-run-'));
  try {
    const files = await runnerFiles(work);
    const childEnv = baseEnvironment({
      ...runnerVariables(files, work),
      ...(await inputEnvironment(inputs)),
      ...env,
    });

    // /usr/bin/time writes its figure to a file of its own (-o), so the
    // action's stderr stays the action's.
    const measured = existsSync(GNU_TIME);
    const [command, args] = measured
      ? [GNU_TIME, ['-f', '%M', '-o', files.rss, nodeBinary(), ACTION_SCRIPT]]
      : [nodeBinary(), [ACTION_SCRIPT]];
    const run = await timedRun(command, args, { env: childEnv });

    const outputs = parseOutputFile(await readFile(files.output, 'utf8'));
    return {
      exitCode: run.code,
      seconds: run.seconds,
      peakRssKb: measured ? await readPeakRss(files.rss) : undefined,
      stdout: run.stdout,
      stderr: run.stderr,
      outputs,
      error: run.code === 0 ? undefined : failureReason(run),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Lines the runner would show in the step log: every stdout line except
 * the ::add-mask:: and ::debug:: commands, which it never displays (debug
 * only with step debugging on).
 */
export function countLogLines(stdout) {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .filter(
      (line) =>
        !line.startsWith('::add-mask::') && !line.startsWith('::debug::'),
    ).length;
}

async function runnerFiles(work) {
  return { ...(await stepFiles(work)), rss: path.join(work, 'peak-rss') };
}

// GNU time prints "Command exited with non-zero status N" before the figure
// when the command fails, so take the last line.
async function readPeakRss(file) {
  try {
    const kb = Number(lastLine(await readFile(file, 'utf8')));
    return Number.isFinite(kb) && kb > 0 ? kb : undefined;
  } catch {
    return undefined;
  }
}

// The action reports its failure as an ::error:: command on stdout.
function failureReason(run) {
  const error = run.stdout
    .split('\n')
    .find((line) => line.startsWith('::error'));
  if (error) return error.slice(error.indexOf('::', 2) + 2);
  return lastLine(run.stderr) || `exit code ${run.code}`;
}
