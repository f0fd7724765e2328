// Shared by the end-to-end suites: the real engine and registry from
// stack/up.sh, the ECR stand-in, and the built action run as the runner does.
import { startEcrStandIn } from '../../stack/ecr-standin.mjs';
import { runAction } from '../../stack/run-action.mjs';
import { bringUpStack, readStack } from '../../stack/stack.mjs';

export type Stack = ReturnType<typeof readStack>;
export type ActionResult = Awaited<ReturnType<typeof runAction>>;

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
