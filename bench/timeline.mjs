// `node bench/timeline.mjs [RUNS]`: where the action's time goes. Runs the
// bench's small push (3 tags of bench-small:1) as the runner would, with
// bench/timeline-preload.mjs noting each Engine API and AWS request, and
// prints one timeline per run: ms since the process started. Between
// "loaded node" and the first request is the bundle loading; the gaps
// between requests are the action's own work (CPU) or waiting.
// Expects the stack up (`bash stack/up.sh`) and a built dist/.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEcrStandIn } from '../stack/ecr-standin.mjs';
import { runAction } from '../stack/run-action.mjs';
import { makeImage, readStack } from '../stack/stack.mjs';
import { standInEnvironment } from './contenders.mjs';
import { emptyRepository } from './registry.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 3);

const stack = readStack();
await makeImage('bench-small:1', 3, 1);
const ecr = await startEcrStandIn({
  password: stack.password,
  registry: stack,
});
try {
  for (let run = 1; run <= runs; run++) {
    const repository = `bench-timeline-${process.pid}-${run}`;
    const result = await runAction({
      inputs: {
        image: 'bench-small:1',
        repository,
        tags: 'v1\nv2\nv3',
        region: 'us-east-1',
      },
      env: {
        ...standInEnvironment(ecr.endpoint),
        NODE_OPTIONS: `--import=${path.join(HERE, 'timeline-preload.mjs')}`,
      },
    });
    // Each run uploads again: see registry.mjs on cross-repository mounts.
    await emptyRepository(stack, stack.registryPrimaryHost, repository, 'v1');
    console.log(
      `\nrun ${run}: exit code ${result.exitCode}, ${(result.seconds * 1000).toFixed(0)} ms from spawn to exit`,
    );
    for (const line of result.stderr.split('\n')) {
      const match = /^timeline (\S+) (.*)$/.exec(line);
      if (match) console.log(`${match[1].padStart(8)} ms  ${match[2]}`);
    }
  }
} finally {
  await ecr.close();
}
