// Shared by the end-to-end suites: the real engine and registry from
// stack/up.sh, the ECR stand-in, and the built action run as the runner does.
import { startEcrStandIn } from '../../stack/ecr-standin.mjs';
import { runAction } from '../../stack/run-action.mjs';
import { bringUpStack, makeImage, readStack } from '../../stack/stack.mjs';

export type Stack = ReturnType<typeof readStack>;
export type ActionResult = Awaited<ReturnType<typeof runAction>>;
export type EcrStandIn = Awaited<ReturnType<typeof startEcrStandIn>>;

/** Unique per run, so a re-run never passes on what an earlier run pushed. */
export const RUN = Date.now().toString(36);
export const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

export interface Suite {
  stack: Stack;
  /** An ECR stand-in whose image queries read the real registry. */
  ecr: EcrStandIn;
  /** AWS settings that reach the stand-in, for runAction's env. */
  env: Record<string, string>;
}

/** Brings up the stack, makes the images (name → MB), starts the stand-in. */
export async function setUpSuite(
  images: Record<string, number>,
): Promise<Suite> {
  const stack = await bringUpStack();
  for (const [reference, sizeMb] of Object.entries(images)) {
    await makeImage(reference, sizeMb);
  }
  const ecr = await startEcrStandIn({
    password: stack.password,
    registry: stack,
  });
  const env = {
    ...AWS_TEST_CREDENTIALS,
    AWS_ENDPOINT_URL_ECR: ecr.endpoint,
    AWS_ENDPOINT_URL_ECR_PUBLIC: ecr.endpoint,
  };
  return { stack, ecr, env };
}

export const SUITE_SETUP_TIMEOUT = 15 * 60_000;

type StandInOptions = Parameters<typeof startEcrStandIn>[0];
type RunOptions = Parameters<typeof runAction>[0];

/**
 * Runs the action against an ECR stand-in of its own (a fault, a policy,
 * another password), closed afterwards; its records stay readable.
 */
export async function runWithStandIn(
  options: StandInOptions,
  run: RunOptions & { env: Record<string, string> },
): Promise<{ result: ActionResult; standIn: EcrStandIn }> {
  const standIn = await startEcrStandIn(options);
  try {
    const result = await runAction({
      ...run,
      env: {
        ...run.env,
        AWS_ENDPOINT_URL_ECR: standIn.endpoint,
        AWS_ENDPOINT_URL_ECR_PUBLIC: standIn.endpoint,
      },
    });
    return { result, standIn };
  } finally {
    await standIn.close();
  }
}

export const AWS_TEST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export { bringUpStack, runAction, startEcrStandIn };

/** The `::error::` annotations of a run. */
export function errorAnnotations(result: ActionResult): string[] {
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error'))
    .map((line) => line.slice(line.indexOf('::', 2) + 2));
}

/** The `::warning::` lines of a run, whole. */
export function warningLines(result: ActionResult): string[] {
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('::warning'));
}

/**
 * Every form of a registry secret the action could leak: the password, the
 * token ECR hands out, and the X-Registry-Auth header in both alphabets.
 */
export function secretForms(password: string, serverAddress: string): string[] {
  const token = Buffer.from(`AWS:${password}`).toString('base64');
  const json = JSON.stringify({
    username: 'AWS',
    password,
    serveraddress: serverAddress,
  });
  const standard = Buffer.from(json).toString('base64');
  const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
  return [
    password,
    token,
    standard,
    urlSafe,
    urlSafe.replace(/=+$/, ''),
    password.slice(0, 40),
  ];
}

export function expectSuccess(result: ActionResult): void {
  expect(errorAnnotations(result)).toEqual([]);
  expect(result.exitCode).toBe(0);
}

/**
 * A failed step: exit code 1, exactly one `::error::` matching `message`,
 * no output set, no stack trace anywhere.
 */
export function expectOneError(result: ActionResult, message: RegExp): void {
  expect(result.exitCode).toBe(1);
  expect(errorAnnotations(result)).toEqual([expect.stringMatching(message)]);
  expect(result.outputFile).toBe('');
  expect(result.stdout + result.stderr).not.toMatch(
    /\n\s+at .*(?:\.js:\d+|:\d+:\d+)/,
  );
}

/** Asserts no secret form appears anywhere but in the runner's mask commands. */
export function expectNoSecrets(result: ActionResult, forms: string[]): void {
  const visible = [
    result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    result.stderr,
    result.outputFile,
    result.summary,
    result.state,
  ].join('\n');
  for (const form of forms) expect(visible.includes(form)).toBe(false);
}
