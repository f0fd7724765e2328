import { AwsClients } from './aws-clients.js';
import {
  getEcrAuthorization,
  getEcrPublicAuthorization,
  type EcrAuthorization,
} from './ecr.js';
import { EcrSession } from './ecr-session.js';
import type { PushTarget } from './targets.js';

/** Where a token comes from: a region's ECR, or ECR Public. */
type TokenSource = { kind: 'private'; region: string } | { kind: 'public' };

function keyOf(source: TokenSource): string {
  return source.kind === 'public' ? 'ecr-public' : source.region;
}

/**
 * Fetches one token per region (and one from ECR Public), concurrently,
 * and hands out a session per registry host. `serveraddress` is always the
 * host being pushed to: the containerd image store sends credentials only
 * when it matches.
 */
export class RegistryTokens {
  private readonly tokens = new Map<string, Promise<EcrAuthorization>>();
  private readonly sessions = new Map<string, Promise<EcrSession>>();

  constructor(private readonly clients: AwsClients) {}

  /** Starts every fetch at once; failures surface from `authorizationFor`. */
  prefetch(sources: TokenSource[]): void {
    for (const source of sources) void this.fetch(source, false);
  }

  authorizationFor(source: TokenSource): Promise<EcrAuthorization> {
    return this.fetch(source, false);
  }

  /**
   * One session per registry host, shared by every push to it, so that a
   * refused token is replaced once for all of them (see EcrSession).
   */
  sessionFor(target: PushTarget): Promise<EcrSession> {
    const host = target.registry.host;
    let session = this.sessions.get(host);
    if (!session) {
      const source = sourceOf(target);
      const forHost = (authorization: EcrAuthorization) => ({
        ...authorization,
        serverAddress: host,
      });
      session = this.fetch(source, false).then(
        (first) =>
          new EcrSession(forHost(first), () =>
            this.fetch(source, true).then(forHost),
          ),
      );
      this.sessions.set(host, session);
    }
    return session;
  }

  private fetch(
    source: TokenSource,
    fresh: boolean,
  ): Promise<EcrAuthorization> {
    const key = keyOf(source);
    const cached = this.tokens.get(key);
    if (cached && !fresh) return cached;
    const pending =
      source.kind === 'public'
        ? this.clients.ecrPublicClient().then(getEcrPublicAuthorization)
        : getEcrAuthorization(this.clients.ecrIn(source.region), source.region);
    // Handled here so that an unused prefetch never counts as unhandled.
    pending.catch(() => {});
    this.tokens.set(key, pending);
    return pending;
  }
}

export function sourceOf(target: PushTarget): TokenSource {
  return target.registry.kind === 'public'
    ? { kind: 'public' }
    : { kind: 'private', region: target.registry.region };
}

export function uniqueSources(sources: TokenSource[]): TokenSource[] {
  return [...new Map(sources.map((s) => [keyOf(s), s])).values()];
}
