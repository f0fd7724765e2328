import * as core from '@actions/core';
import type { EcrSession } from './ecr-session.js';
import type { EngineClient } from './engine/client.js';
import { ActionError } from './errors.js';
import {
  classifyPushFailure,
  explainPushFailure,
  isImmutableTagError,
} from './push-errors.js';
import { formatBytes, PushProgress } from './push-progress.js';
import { consumePushStream } from './push-stream.js';
import { withRetries } from './retry.js';
import { referenceOf, repositoryOf, type PushTarget } from './targets.js';

export interface PushedReference {
  target: PushTarget;
  reference: string;
  digest: string;
  manifestSize: number;
  /** The tag already held this image and is immutable: nothing was pushed. */
  alreadyThere?: boolean;
  /** ECR confirmed the tag names `digest` after the push. */
  verified?: boolean;
  /** Why it was not verified, when it was not. */
  unverified?: string;
}

export interface PushOptions {
  /** Settles when the local image carries the target's name. */
  tagged: (target: PushTarget) => Promise<void>;
  sessionFor: (target: PushTarget) => Promise<EcrSession>;
  /** Total attempts per reference, the first included. */
  attempts: number;
  /**
   * Asked when the registry refuses to overwrite an immutable tag: returns
   * the tag's digest when it already holds this very image (a re-run), and
   * throws when it holds another one.
   */
  onImmutableTag: (target: PushTarget) => Promise<string>;
  /** Told about each reference as soon as its push has succeeded. */
  onPushed?: (pushed: PushedReference) => void;
}

interface LogSink {
  info(line: string): void;
  debug(line: string): void;
  warning(line: string): void;
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
  await options.tagged(target);
  const session = await options.sessionFor(target);
  let sent = session.header();
  let attempt = 0;
  try {
    return await withRetries(
      async () => {
        attempt += 1;
        sent = session.header();
        return await pushOnce(engine, target, sent.header, sink);
      },
      {
        attempts: options.attempts,
        what: `pushing ${reference}`,
        classify: classifyPushFailure,
        refreshToken: () => session.refresh(sent),
        warn: sink.warning,
      },
    );
  } catch (error) {
    if (isImmutableTagError(error)) {
      const digest = await options.onImmutableTag(target);
      sink.info(
        `${reference} already holds this image (${digest}); the tag is immutable, nothing to push`,
      );
      return { target, reference, digest, manifestSize: 0, alreadyThere: true };
    }
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
  const stream = await engine.pushImage(
    repositoryOf(target),
    target.tag,
    header,
  );
  // The engine's own lines are only worth their cost (one write each, many
  // on a large push) when step debugging will show them.
  const outcome = await consumePushStream(
    stream,
    (event) => progress.handle(event),
    core.isDebug() ? (line) => sink.debug(JSON.stringify(line)) : undefined,
  );
  sink.info(
    `Pushed ${reference} ${outcome.digest} (manifest ${formatBytes(outcome.manifestSize)})`,
  );
  return { target, reference, ...outcome };
}

/**
 * Pushes the first tag of each repository one after another, logging live,
 * so each repository's layers are uploaded once; then all other tags at
 * once, since they only add manifests. (The engine does not share uploads
 * between concurrent pushes, and concurrent uploads of one blob can fail
 * on the registry side.) Each push first waits for its own name
 * (options.tagged), so names are made while earlier pushes run. Held lines
 * are written in one group per reference once its push is done, so groups
 * never interleave.
 */
export async function pushAll(
  engine: EngineClient,
  targets: PushTarget[],
  options: PushOptions,
): Promise<PushedReference[]> {
  const live: LogSink = {
    info: core.info,
    debug: core.debug,
    warning: (line) => core.warning(line),
  };
  const firsts = new Map<string, PushTarget>();
  for (const target of targets) {
    if (!firsts.has(repositoryOf(target)))
      firsts.set(repositoryOf(target), target);
  }
  const uploaders = [...firsts.values()];
  const others = targets.filter((target) => !uploaders.includes(target));

  // Each success is passed on as it happens, not when its log is written.
  const pushAndTell = (target: PushTarget, sink: LogSink) =>
    pushReference(engine, target, options, sink).then((result) => {
      options.onPushed?.(result);
      return result;
    });

  const pushed = new Map<PushTarget, PushedReference>();
  for (const target of uploaders) {
    const result = await core.group(`Pushing ${referenceOf(target)}`, () =>
      pushAndTell(target, live),
    );
    pushed.set(target, result);
  }

  const held = others.map(() => [] as Array<[keyof LogSink, string]>);
  // Settled at once, so that no failure goes unhandled while we wait.
  const pushes = others.map((target, index) =>
    settle(
      pushAndTell(target, {
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
    if (result.ok) pushed.set(target, result.value);
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
  return targets.map((target) => pushed.get(target)!);
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}
