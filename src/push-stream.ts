import { ActionError } from './errors.js';

/** One JSON line of the engine's push progress stream, as far as we read it. */
export interface PushMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

export type PushEvent =
  | { type: 'error'; message: string }
  | { type: 'digest'; tag: string; digest: string; size: number }
  | {
      type: 'layer';
      id: string;
      status: string;
      current?: number;
      total?: number;
    }
  | { type: 'info'; message: string };

/** A push stream that broke off or could not be read: worth another attempt. */
export class PushStreamError extends ActionError {
  override name = 'PushStreamError';
}

// Progress lines are a few hundred bytes; a line this long without a newline
// means the peer is not the engine, and holding more would grow memory.
const MAX_LINE_LENGTH = 1024 * 1024;

/**
 * Splits a byte stream into parsed JSON lines as the bytes arrive, holding
 * at most one line in memory. The engine ends lines with `\r\n`.
 */
export async function* readJsonLines(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of chunks) {
    // Only the new text can hold a newline: no rescanning a long line.
    let searchFrom = pending.length;
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n', searchFrom)) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      searchFrom = 0;
      const parsed = parseLine(line);
      if (parsed !== undefined) yield parsed;
    }
    if (pending.length > MAX_LINE_LENGTH) {
      throw new PushStreamError(
        `The Docker engine sent a progress line longer than ` +
          `${MAX_LINE_LENGTH} characters; docker-host may not point at a ` +
          `Docker engine.`,
      );
    }
  }
  pending += decoder.decode();
  const parsed = parseLine(pending);
  if (parsed !== undefined) yield parsed;
}

function parseLine(line: string): unknown {
  const text = line.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new PushStreamError(
      `The Docker engine sent a progress line that is not JSON: ` +
        `${JSON.stringify(text.slice(0, 200))}. ` +
        'The stream was cut or altered; check the engine and anything between it and the runner.',
    );
  }
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const DIGEST_STATUS_RE = /^(\S+): digest: (sha256:[a-f0-9]{64}) size: (\d+)$/;

/** Turns one progress message into the events the action acts on. */
export function interpretPushMessage(raw: unknown): PushEvent[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const message = raw as PushMessage;
  const events: PushEvent[] = [];
  // Fields are used only when they have the type the engine sends.
  const errorText = [message.errorDetail?.message, message.error].find(
    (text): text is string => typeof text === 'string',
  );
  if (errorText !== undefined || message.errorDetail) {
    events.push({ type: 'error', message: errorText ?? 'unknown error' });
    return events;
  }
  const aux = message.aux;
  if (
    aux &&
    typeof aux.Digest === 'string' &&
    DIGEST_RE.test(aux.Digest) &&
    (aux.Size === undefined || isSize(aux.Size))
  ) {
    events.push({
      type: 'digest',
      tag: typeof aux.Tag === 'string' ? aux.Tag : '',
      digest: aux.Digest,
      size: aux.Size ?? 0,
    });
  }
  const status = typeof message.status === 'string' ? message.status : '';
  const digestMatch = DIGEST_STATUS_RE.exec(status);
  if (digestMatch) {
    const [, tag = '', digest = '', size = '0'] = digestMatch;
    events.push({ type: 'digest', tag, digest, size: Number(size) });
  } else if (status && typeof message.id === 'string' && message.id) {
    const { current, total } = message.progressDetail ?? {};
    events.push({
      type: 'layer',
      id: message.id,
      status,
      current: typeof current === 'number' ? current : undefined,
      total: typeof total === 'number' ? total : undefined,
    });
  } else if (status) {
    events.push({ type: 'info', message: status });
  }
  return events;
}

export interface PushOutcome {
  digest: string;
  /** Size of the manifest, as the registry reported it. */
  manifestSize: number;
}

/**
 * Reads a whole push stream. Any error line fails the push; so does a
 * stream that ends without a digest, since the engine always reports one
 * for a push that completed.
 */
export async function consumePushStream(
  chunks: AsyncIterable<Uint8Array>,
  onEvent: (event: PushEvent) => void,
  onRawLine: (line: unknown) => void = () => {},
): Promise<PushOutcome> {
  let outcome: PushOutcome | undefined;
  for await (const line of readJsonLines(chunks)) {
    onRawLine(line);
    for (const event of interpretPushMessage(line)) {
      if (event.type === 'error') throw new RegistryPushError(event.message);
      if (event.type === 'digest') {
        outcome ??= { digest: event.digest, manifestSize: event.size };
        if (outcome.digest !== event.digest) {
          throw new PushStreamError(
            `The Docker engine reported two digests for one push ` +
              `(${outcome.digest} and ${event.digest}).`,
          );
        }
      }
      onEvent(event);
    }
  }
  if (!outcome) {
    throw new PushStreamError(
      'The push stream ended without a digest, so the push did not complete. ' +
        'The engine may have stopped or restarted; check its logs.',
    );
  }
  return outcome;
}

/** The engine or registry reported a failure inside the push stream. */
export class RegistryPushError extends ActionError {
  override name = 'RegistryPushError';

  constructor(readonly registryMessage: string) {
    super(registryMessage);
  }
}
