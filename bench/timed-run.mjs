// Runs a command to completion and times it from spawn to exit, the one
// measure every contender shares. Output is kept whole: the callers check it
// (digest lines, log lines), so it must be read fully anyway.
import { spawn } from 'node:child_process';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string> }} [options]
 * @returns {Promise<{ code: number | null, signal: string | null,
 *   seconds: number, stdout: string, stderr: string }>}
 */
export function timedRun(command, args, { env } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    // A spawn failure (missing binary) is a failed run, not a crash.
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      resolve({ code, signal, seconds, stdout, stderr });
    });
  });
}

/** The environment a contender gets: only what it needs, nothing of ours. */
export function baseEnvironment(extra = {}) {
  const keep = ['PATH', 'LANG', 'TZ'];
  const env = Object.fromEntries(
    keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  );
  return { ...env, ...extra };
}

/** The last non-empty line of a text, for short failure reasons. */
export function lastLine(text) {
  const lines = text.split('\n').filter((line) => line.trim());
  return lines.at(-1)?.trim() ?? '';
}
