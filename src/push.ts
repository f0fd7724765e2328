import * as core from '@actions/core';
import type { EngineClient } from './engine/client.js';
import { ActionError } from './errors.js';
import type { EcrSession } from './ecr-session.js';
import { classifyPushFailure, explainPushFailure } from './push-errors.js';
import { formatBytes, PushProgress } from './push-progress.js';
import { consumePushStream } from './push-stream.js';
import { withRetries } from './retry.js';

export interface PushTarget {
  /** Registry host and repository path, e.g. 1234….amazonaws.com/app */
  repository: string;
  tag: string;
}

export interface PushedReference {
  reference: string;
  digest: string;
  manifestSize: number;
}

export function referenceOf(target: PushTarget): string {
  return `${target.repository}:${target.tag}`;
}

interface LogSink {
  info(line: string): void;
  debug(line: string): void;
  warning(line: string): void;
}

export interface PushOptions {
  session: EcrSession;
  /** Total attempts per reference, the first included. */
  attempts: number;
}

/**
 * Pushes one reference, reading the progress stream as it arrives, and
 * tries again after transient failures (see classifyPushFailure).
 */
export async function pushReference(
  engine: EngineClient,
  target: PushTarget,
  options: PushOptions,
  sink: LogSink,
): Promise<PushedReference> {
  const reference = referenceOf(target);
  let header = options.session.header();
  let attempt = 0;
  try {
    return await withRetries(
      async () => {
        attempt += 1;
        header = options.session.header();
        return await pushOnce(engine, target, header, sink);
      },
      {
        attempts: options.attempts,
        what: `pushing ${reference}`,
        classify: classifyPushFailure,
        refreshToken: () => options.session.refresh(header),
        warn: sink.warning,
      },
    );
  } catch (error) {
    throw explainPushFailure(reference, error, attempt);
  }
}

async function pushOnce(
  engine: EngineClient,
  target: PushTarget,
  header: string,
  sink: LogSink,
): Promise<PushedReference> {
  const reference = referenceOf(target);
  const progress = new PushProgress({ log: (line) => sink.info(line) });
  const stream = await engine.pushImage(target.repository, target.tag, header);
  const outcome = await consumePushStream(
    stream,
    (event) => progress.handle(event),
    (line) => sink.debug(JSON.stringify(line)),
  );
  sink.info(
    `Pushed ${reference} ${outcome.digest} (manifest ${formatBytes(outcome.manifestSize)})`,
  );
  return { reference, ...outcome };
}

/**
 * Pushes the first target alone, logging live, so its layers are uploaded
 * once; then the other tags at once, since they only add manifests. (The
 * engine does not share uploads between concurrent pushes, and concurrent
 * uploads of one blob can fail on the registry side.) The other pushes'
 * lines are held and written in one group per reference, never interleaved.
 */
export async function pushAll(
  engine: EngineClient,
  targets: PushTarget[],
  options: PushOptions,
): Promise<PushedReference[]> {
  const [first, ...others] = targets;
  if (!first) return [];
  const live: LogSink = {
    info: core.info,
    debug: core.debug,
    warning: (line) => core.warning(line),
  };
  const pushed = [
    await core.group(`Pushing ${referenceOf(first)}`, () =>
      pushReference(engine, first, options, live),
    ),
  ];

  const held = others.map(() => [] as Array<[keyof LogSink, string]>);
  // Settled at once, so that no failure goes unhandled while we wait.
  const pushes = others.map((target, index) =>
    settle(
      pushReference(engine, target, options, {
        info: (line) => held[index]!.push(['info', line]),
        debug: (line) => held[index]!.push(['debug', line]),
        warning: (line) => held[index]!.push(['warning', line]),
      }),
    ),
  );
  const failures: unknown[] = [];
  for (const [index, target] of others.entries()) {
    const result = await pushes[index]!;
    core.startGroup(`Pushing ${referenceOf(target)}`);
    for (const [level, line] of held[index]!) live[level](line);
    core.endGroup();
    if (result.ok) pushed.push(result.value);
    else failures.push(result.error);
  }

  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new ActionError(
      `${failures.length} of ${targets.length} pushes failed: ` +
        failures
          .map((error) =>
            error instanceof Error ? error.message : String(error),
          )
          .join(' | '),
    );
  }
  return pushed;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}
