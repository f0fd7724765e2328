// `npm run bench`: how long the action takes to push, next to the least any
// pusher could take (the Engine API calls alone) and to what a workflow does
// without it (docker login + docker push), on the local stack.
//
//   node bench/bench.mjs [small|large]... [--rounds=N]
//                        [--small-rounds=N] [--large-rounds=N] [--no-rerun]
//                        [--quiet-wait=SECONDS]
//   BENCH_ROUNDS=N       rounds for every selected case
//
// Contenders run interleaved (floor, login+push, action; floor, ...), so
// that a slow spell of the machine hits all of them, not one. Each round
// waits (up to --quiet-wait, default 60 s; 0 = not at all) for the machine
// to be quiet, and a round in which other work ran anyway
// (bench/disturbance.mjs) is run again, up to as many extra rounds as asked
// for; --no-rerun keeps every round as it came.
// Every push goes into an empty repository of its own, so that layers are
// really uploaded (see bench/registry.mjs for why a new name alone is not
// enough).
// The figures are printed with PASS/MISS against targets; the exit code is
// 0 whatever they are, as they are measurements, not tests.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEcrStandIn } from '../stack/ecr-standin.mjs';
import { nodeBinary } from '../stack/run-action.mjs';
import { makeImage, readStack } from '../stack/stack.mjs';
import { ACTION_SCRIPT, GNU_TIME } from './action-runner.mjs';
import { CONTENDERS } from './contenders.mjs';
import {
  describeDisturbance,
  DisturbanceWatch,
  disturbanceRule,
  waitForQuiet,
} from './disturbance.mjs';
import { engineVersion, untag } from './engine.mjs';
import { emptyRepository } from './registry.mjs';
import {
  formats,
  median,
  printTable,
  printTargets,
  summarize,
} from './report.mjs';
import { measureStartup } from './startup.mjs';

const CASES = {
  small: {
    name: 'small',
    description: '3 tags of a 3 MB one-layer image',
    image: 'bench-small:1',
    sizeMb: 3,
    layers: 1,
    tags: ['v1', 'v2', 'v3'],
    defaultRounds: 5,
  },
  large: {
    name: 'large',
    description: '1 tag of a 512 MB image of 8 incompressible 64 MB layers',
    image: 'bench-large:1',
    sizeMb: 512,
    layers: 8,
    tags: ['v1'],
    defaultRounds: 3,
  },
};

await main();

async function main() {
  const options = parseArguments(process.argv.slice(2), process.env);
  const stack = readStack();
  const host = stack.registryPrimaryHost;
  await printMachine();
  const build = distFingerprint();

  const session = await openSession(stack);
  try {
    const summaries = {};
    for (const caseName of options.cases) {
      summaries[caseName] = await runCase(session, host, caseName, options);
    }
    printRssGrowth(summaries);
  } finally {
    await session.close();
  }

  const now = distFingerprint();
  if (now.sha256 !== build.sha256) {
    console.log(
      `\nWARNING: dist/index.js changed during the run (now sha256 ${now.sha256.slice(0, 12)}, ` +
        `modified ${now.modified}); the action rounds may mix two builds.`,
    );
  }
}

// --- arguments ---------------------------------------------------------------

function parseArguments(args, env) {
  const cases = [];
  const rounds = {};
  let rerun = true;
  let quietWait = 60;
  const all = env.BENCH_ROUNDS
    ? positive(env.BENCH_ROUNDS, 'BENCH_ROUNDS')
    : undefined;
  for (const arg of args) {
    const [flag, value] = arg.split('=');
    if (arg in CASES) cases.push(arg);
    else if (flag === '--rounds') rounds.all = positive(value, flag);
    else if (flag === '--small-rounds') rounds.small = positive(value, flag);
    else if (flag === '--large-rounds') rounds.large = positive(value, flag);
    else if (arg === '--no-rerun') rerun = false;
    else if (flag === '--quiet-wait') quietWait = Number(value);
    else {
      console.error(
        `unknown argument ${arg}\nusage: node bench/bench.mjs [small|large]... ` +
          '[--rounds=N] [--small-rounds=N] [--large-rounds=N] [--no-rerun] [--quiet-wait=SECONDS]',
      );
      process.exit(2);
    }
  }
  const selected = cases.length ? [...new Set(cases)] : Object.keys(CASES);
  // Flags win over the environment; a per-case flag wins over --rounds.
  const roundsOf = (name) =>
    rounds[name] ?? rounds.all ?? all ?? CASES[name].defaultRounds;
  return {
    cases: selected,
    rerun,
    quietWait: Number.isFinite(quietWait) && quietWait > 0 ? quietWait : 0,
    rounds: Object.fromEntries(selected.map((name) => [name, roundsOf(name)])),
  };
}

function positive(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a whole number >= 1, got ${text}`);
    process.exit(2);
  }
  return value;
}

// --- machine and build ---------------------------------------------------------

async function printMachine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const nodeVersion = execFileSync(nodeBinary(), ['--version'], {
    encoding: 'utf8',
  }).trim();
  console.log(`date:    ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.availableParallelism()} CPUs (${cpu}), ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
      `kernel ${os.release()}`,
  );
  console.log(`docker:  engine ${await engineVersion()}, storage driver vfs`);
  console.log(
    `node:    ${nodeVersion} (the action's), bench on ${process.version}`,
  );
  const build = distFingerprint();
  console.log(
    `dist:    dist/index.js sha256 ${build.sha256.slice(0, 12)}, ` +
      `${(build.bytes / 2 ** 20).toFixed(2)} MiB, modified ${build.modified}`,
  );
  console.log(
    statOrNull(GNU_TIME)
      ? `rss:     peak RSS of the action by ${GNU_TIME} -f %M`
      : `rss:     ${GNU_TIME} missing (apt-get install time): no RSS figures`,
  );
  console.log(`noise:   ${disturbanceRule()}`);
}

// dist/ is rebuilt by others while the bench may run: the figures belong to
// the build they were taken with, so name it.
function distFingerprint() {
  const bytes = readFileSync(ACTION_SCRIPT);
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    modified: statSync(ACTION_SCRIPT).mtime.toISOString(),
  };
}

function statOrNull(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

// --- session: what every run shares ----------------------------------------------

/**
 * The ECR stand-in (started once, in this process) and a private temp dir
 * holding the floor's X-Registry-Auth header. Both go at close(), also on
 * Ctrl-C, since the header holds the registry password.
 */
async function openSession(stack) {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'ecr-push-bench-')); // mode 700
  const headerFile = path.join(tempDir, 'x-registry-auth');
  const header = registryAuthHeader(stack.password, stack.registryPrimaryHost);
  await writeFile(headerFile, `X-Registry-Auth: ${header}\n`, { mode: 0o600 });
  // `registry` lets the stand-in answer BatchGetImage from the real
  // registry, for an action that reads back what it pushed.
  const ecr = await startEcrStandIn({
    password: stack.password,
    registry: stack,
  });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ecr.close();
    await rm(tempDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => close().finally(() => process.exit(130)));
  }
  return {
    stack,
    watch: new DisturbanceWatch(stack),
    tempDir,
    headerFile,
    ecrEndpoint: ecr.endpoint,
    runId: randomBytes(3).toString('hex'),
    close,
  };
}

/**
 * What the engine expects in X-Registry-Auth: JSON in base64url *with* '='
 * padding (Go's base64.URLEncoding). Node's 'base64url' drops the padding,
 * and the engine silently ignores a header it cannot decode.
 */
function registryAuthHeader(password, host) {
  const json = JSON.stringify({
    username: 'AWS',
    password,
    serveraddress: host,
  });
  return Buffer.from(json)
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

// --- cases -------------------------------------------------------------------------

async function runCase(session, host, caseName, options) {
  const spec = CASES[caseName];
  const rounds = options.rounds[caseName];
  const maxRounds = options.rerun ? 2 * rounds : rounds;
  console.log(`\n# ${caseName}: ${spec.description}, ${rounds} round(s)`);
  console.log(`(making or reusing the image ${spec.image}...)`);
  const imageId = await makeImage(spec.image, spec.sizeMb, spec.layers);

  // A disturbed round is run again (up to `rounds` more), so that the
  // medians come from pushes that had the machine to themselves.
  const all = [];
  let clean = 0;
  for (let round = 1; clean < rounds && round <= maxRounds; round++) {
    await waitForQuietMachine(options.quietWait);
    const results = await runRound(session, { spec, imageId, host, round });
    const disturbed = Object.values(results).some(
      (r) => r.disturbance?.disturbed,
    );
    all.push({ round, results, disturbed });
    if (!disturbed) clean++;
    console.log(
      `round ${round}: ${Object.entries(results)
        .map(([name, result]) => describeRound(name, result))
        .join(' | ')}${disturbed ? '  -> disturbed' : ''}`,
    );
  }

  const used = selectRounds(all, options.rerun);
  const summaries = Object.fromEntries(
    CONTENDERS.map(({ name }) => [
      name,
      summarize(used.map((r) => r.results[name])),
    ]),
  );
  printTable(caseName, summaries, failuresOf(used));
  printRoundUse(all, used);
  printCaseTargets(caseName, summaries);
  printPaired(used);
  if (caseName === 'small') {
    const startup = await measureStartup(session.tempDir, rounds);
    console.log(
      `  (info) start-up, median of ${rounds}: node alone ${startup.nodeMs.toFixed(0)} ms; ` +
        `node + loading dist/index.js ${startup.bundleMs.toFixed(0)} ms ` +
        '(the action stopped at its first input check)',
    );
  }
  return summaries;
}

/**
 * The same figures taken round by round (each action run against the floor
 * and login+push of its own round), then the median: a slow spell that
 * hits one round moves all three of its runs, so pairs cancel more of it
 * than medians taken separately.
 */
function printPaired(rounds) {
  const pairs = rounds
    .map(({ results }) => results)
    .filter((r) => r.action?.ok && r.floor?.ok && r['login+push']?.ok);
  if (pairs.length === 0) return;
  const of = (f) => median(pairs.map(f));
  const minus = of((r) => (r.action.seconds - r.floor.seconds) * 1000);
  const overFloor = of((r) => r.action.seconds / r.floor.seconds);
  const overCli = of((r) => r.action.seconds / r['login+push'].seconds);
  console.log(
    `  (info) paired by round (${pairs.length}): action - floor ${formats.ms(minus)}; ` +
      `action / floor ${formats.ratio(overFloor)}; action / login+push ${formats.ratio(overCli)}`,
  );
}

async function waitForQuietMachine(maxSeconds) {
  if (!maxSeconds) return;
  const { seconds, quiet } = await waitForQuiet({ maxSeconds });
  if (!quiet) {
    console.log(`(still busy after ${seconds.toFixed(0)} s; running anyway)`);
  } else if (seconds > 5) {
    console.log(`(waited ${seconds.toFixed(0)} s for the machine to be quiet)`);
  }
}

/** One push per contender, in the fixed order: floor, login+push, action. */
async function runRound(session, { spec, imageId, host, round }) {
  const results = {};
  for (const contender of CONTENDERS) {
    const push = {
      image: spec.image,
      imageId,
      host,
      repository: repositoryName(session, spec.name, contender.name, round),
      tags: spec.tags,
    };
    results[contender.name] = await runContender(contender, session, push);
  }
  return results;
}

// The undisturbed rounds when there are any (and re-running is on); all
// rounds otherwise, which the report then says.
function selectRounds(all, rerun) {
  const clean = all.filter((r) => !r.disturbed);
  return rerun && clean.length > 0 ? clean : all;
}

function failuresOf(rounds) {
  return rounds.flatMap(({ round, results }) =>
    Object.entries(results)
      .filter(([, result]) => !result.ok)
      .map(([contender, result]) => ({
        contender,
        round,
        error: result.error,
      })),
  );
}

function printRoundUse(all, used) {
  const dropped = all.length - used.length;
  const disturbedUsed = used.filter((r) => r.disturbed).length;
  console.log(
    `rounds: ${all.length} run, ${used.length} used` +
      (dropped ? `, ${dropped} disturbed dropped` : '') +
      (disturbedUsed
        ? `; WARNING: ${disturbedUsed} used round(s) were disturbed, ` +
          'their times are inflated (rerun on an idle machine)'
        : ''),
  );
}

// e.g. bench-small-login-push-3-a1b2c3: per case, contender and round, plus
// a per-run suffix so that two runs never share a repository.
function repositoryName(session, caseName, contender, round) {
  const slug = contender.replace(/[^a-z0-9]+/g, '-');
  return `bench-${caseName}-${slug}-${round}-${session.runId}`;
}

/** One timed push, then (untimed) emptying its repository and untagging. */
async function runContender(contender, session, push) {
  let result;
  session.watch.since(); // start counting other traffic from here
  try {
    result = await contender.run(session, push);
  } catch (error) {
    // A bench bug or a vanished engine: reported in the table, not fatal.
    result = { ok: false, seconds: NaN, error: String(error), mounted: 0 };
  }
  result.disturbance = session.watch.since();
  await tidyUp(session, push);
  return result;
}

async function tidyUp(session, push) {
  try {
    await emptyRepository(
      session.stack,
      push.host,
      push.repository,
      push.tags[0],
    );
    for (const tag of push.tags)
      await untag(`${push.host}/${push.repository}:${tag}`);
  } catch (error) {
    console.log(`(could not tidy up ${push.repository}: ${error})`);
  }
}

function describeRound(name, result) {
  const disturbance = describeDisturbance(result.disturbance);
  const warning = disturbance ? ` [! ${disturbance}]` : '';
  if (!result.ok) return `${name} FAILED${warning}`;
  const extra =
    result.peakRssMb !== undefined
      ? ` (${result.peakRssMb.toFixed(1)} MB, ${result.logLines} lines)`
      : '';
  return `${name} ${result.seconds.toFixed(3)} s${extra}${warning}`;
}

// --- targets -----------------------------------------------------------------------

function printCaseTargets(caseName, s) {
  const action = s.action.medianSeconds;
  const floor = s.floor.medianSeconds;
  const cli = s['login+push'].medianSeconds;
  const known = (...values) => values.every((v) => v !== undefined);
  console.log('\nratios and targets (medians):');
  if (caseName === 'small') {
    printTargets([
      {
        label: 'action - floor',
        value: known(action, floor) ? (action - floor) * 1000 : undefined,
        limit: 120,
        format: formats.ms,
      },
      {
        label: 'action / login+push',
        value: known(action, cli) ? action / cli : undefined,
        limit: 0.5,
        format: formats.ratio,
      },
    ]);
  } else {
    printTargets([
      {
        label: 'action / floor',
        value: known(action, floor) ? action / floor : undefined,
        limit: 1.03,
        format: formats.ratio,
      },
      {
        label: 'action log lines (max over rounds)',
        value: s.action.succeeded ? s.action.maxLogLines : undefined,
        limit: 60,
        format: formats.lines,
      },
    ]);
    console.log(
      `  (info) action - floor: ${known(action, floor) ? formats.ms((action - floor) * 1000) : 'no data'}` +
        `; action / login+push: ${known(action, cli) ? formats.ratio(action / cli) : 'no data'}`,
    );
  }
}

function printRssGrowth(summaries) {
  const small = summaries.small?.action.medianPeakRssMb;
  const large = summaries.large?.action.medianPeakRssMb;
  console.log('\nmemory:');
  printTargets([
    {
      label: 'action peak RSS growth, small -> large',
      value:
        small !== undefined && large !== undefined ? large - small : undefined,
      limit: 10,
      format: formats.mb,
    },
  ]);
  if (small === undefined || large === undefined) {
    console.log('  (run both cases for this figure)');
  }
}
