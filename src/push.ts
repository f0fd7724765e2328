import * as core from '@actions/core';
import type { EngineClient } from './engine/client.js';
import { ActionError } from './errors.js';
import { explainPushFailure } from './push-errors.js';
import { formatBytes, PushProgress } from './push-progress.js';
import { consumePushStream, RegistryPushError } from './push-stream.js';

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
}

/** Pushes one reference, reading the progress stream as it arrives. */
export async function pushReference(
  engine: EngineClient,
  target: PushTarget,
  registryAuth: string,
  sink: LogSink,
): Promise<PushedReference> {
  const reference = referenceOf(target);
  const progress = new PushProgress({ log: (line) => sink.info(line) });
  const stream = await engine.pushImage(
    target.repository,
    target.tag,
    registryAuth,
  );
  try {
    const outcome = await consumePushStream(
      stream,
      (event) => progress.handle(event),
      (line) => sink.debug(JSON.stringify(line)),
    );
    sink.info(
      `Pushed ${reference} ${outcome.digest} (manifest ${formatBytes(outcome.manifestSize)})`,
    );
    return { reference, ...outcome };
  } catch (error) {
    if (error instanceof RegistryPushError) {
      throw explainPushFailure(reference, error.registryMessage);
    }
    throw error;
  }
}

/**
 * Pushes every target at once: the engine shares layer uploads between
 * concurrent pushes, so the extra tags cost little more than a manifest.
 * The first push logs live; the others' lines are held and written in
 * their own group once the first is done, so groups never interleave.
 */
export async function pushAll(
  engine: EngineClient,
  targets: PushTarget[],
  registryAuth: string,
): Promise<PushedReference[]> {
  const held = targets.map(() => [] as Array<[keyof LogSink, string]>);
  const live: LogSink = { info: core.info, debug: core.debug };

  core.startGroup(`Pushing ${referenceOf(targets[0]!)}`);
  const pushes = targets.map((target, index) => {
    const sink: LogSink =
      index === 0
        ? live
        : {
            info: (line) => held[index]!.push(['info', line]),
            debug: (line) => held[index]!.push(['debug', line]),
          };
    // Settled at once, so that a failure of a held push is never unhandled.
    return settle(pushReference(engine, target, registryAuth, sink));
  });
  const results = [await pushes[0]!];
  core.endGroup();

  for (let index = 1; index < targets.length; index++) {
    const result = await pushes[index]!;
    await core.group(`Pushing ${referenceOf(targets[index]!)}`, async () => {
      for (const [level, line] of held[index]!) live[level](line);
    });
    results.push(result);
  }

  const failures = results.flatMap((result) =>
    result.ok ? [] : [result.error],
  );
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
  return results.map(
    (result) => (result as { ok: true; value: PushedReference }).value,
  );
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}
