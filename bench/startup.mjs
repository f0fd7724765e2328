// The part of the action's time that no change to its logic can remove:
// starting Node, and loading (compiling, evaluating) the bundle. Measured
// in the same run as the pushes, interleaved, so that the action's figure
// can be read as start-up + its own work + the engine's.
//   node alone: an empty ES module;
//   node + bundle: dist/index.js with no inputs at all, which loads every
//   module and then stops at the first input check (an ::error:: and exit
//   code 1, which is expected here).
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { nodeBinary } from '../stack/run-action.mjs';
import { ACTION_SCRIPT } from './action-runner.mjs';
import { median } from './report.mjs';
import { baseEnvironment, timedRun } from './timed-run.mjs';

/**
 * @param {string} tempDir a directory for the empty module
 * @param {number} rounds
 * @returns {Promise<{ nodeMs: number, bundleMs: number }>}
 */
export async function measureStartup(tempDir, rounds) {
  const empty = path.join(tempDir, 'empty.mjs');
  await writeFile(empty, 'export {};\n');
  const env = baseEnvironment();
  const node = [];
  const bundle = [];
  for (let round = 0; round < rounds; round++) {
    node.push((await timedRun(nodeBinary(), [empty], { env })).seconds);
    const load = await timedRun(nodeBinary(), [ACTION_SCRIPT], { env });
    if (!load.stdout.includes('::error::Input "image" is required')) {
      throw new Error(
        `dist/index.js without inputs should stop at the input check; it printed: ${load.stdout.slice(0, 300)}`,
      );
    }
    bundle.push(load.seconds);
  }
  return { nodeMs: median(node) * 1000, bundleMs: median(bundle) * 1000 };
}
