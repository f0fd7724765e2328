// `npm run demo`: the action's main job on the local stand-in stack. It
// makes a small image, starts the ECR stand-in, runs dist/index.js as the
// runner would, shows the log as a runner would render it, then checks the
// registry holds what the action reported.
import { startEcrStandIn } from './ecr-standin.mjs';
import { runAction } from './run-action.mjs';
import { makeImage, readStack, registryDigest } from './stack.mjs';

const IMAGE = 'ecr-push-demo:1.0.0';
const stack = readStack();
await makeImage(IMAGE, 3);
const ecr = await startEcrStandIn({
  password: stack.password,
  registry: stack,
});

console.log(`Running dist/index.js: push ${IMAGE} as 1.0.0 and latest\n`);
const result = await runAction({
  inputs: { image: IMAGE, tags: '1.0.0\nlatest', region: 'us-east-1' },
  env: {
    AWS_ENDPOINT_URL_ECR: ecr.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  onOutput: (chunk) => process.stdout.write(renderWorkflowCommands(chunk)),
});
await ecr.close();

console.log(
  `\nExit code ${result.exitCode} after ${result.seconds.toFixed(2)} s`,
);
console.log('Outputs:');
for (const [name, value] of Object.entries(result.outputs)) {
  console.log(`  ${name}: ${value.replace(/\n/g, '\n    ')}`);
}
console.log(`Job summary:\n  ${result.summary.trim()}`);

let ok = result.exitCode === 0;
for (const uri of (result.outputs['image-uris'] ?? '')
  .split('\n')
  .filter(Boolean)) {
  const [, host, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(uri);
  const stored = await registryDigest(stack, host, repository, tag);
  const same = stored === result.outputs.digest;
  ok &&= same;
  console.log(
    `Registry holds ${uri} at ${stored}: ${same ? 'matches' : 'DIFFERS'}`,
  );
}
console.log(`~/.docker written: ${result.dockerConfigWritten ? 'YES' : 'no'}`);
process.exit(ok && !result.dockerConfigWritten ? 0 : 1);

// The runner consumes workflow commands; show them the way its log does
// (add-mask lines never appear, debug only when step debug is on).
function renderWorkflowCommands(text) {
  return text
    .split('\n')
    .flatMap((line) => {
      if (line.startsWith('::add-mask::')) return [];
      if (line.startsWith('::debug::'))
        return process.env.RUNNER_DEBUG ? [`##[debug]${line.slice(9)}`] : [];
      if (line.startsWith('::group::')) return [`▸ ${line.slice(9)}`];
      if (line.startsWith('::endgroup::')) return [];
      if (line.startsWith('::warning'))
        return [`Warning: ${line.slice(line.indexOf('::', 2) + 2)}`];
      if (line.startsWith('::error'))
        return [`Error: ${line.slice(line.indexOf('::', 2) + 2)}`];
      return [line];
    })
    .join('\n');
}
