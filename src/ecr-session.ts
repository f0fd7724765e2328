import {
  createRegistryAuthHeader,
  type RegistryCredentials,
} from './registry-auth.js';

/** The header to send, and which token it carries (0 first, 1 replaced). */
export interface SessionHeader {
  header: string;
  generation: number;
}

/**
 * Holds the X-Registry-Auth header for one registry host, and replaces the
 * token at most once when the registry refuses it. Pushes that failed with
 * the old token while another push was already refreshing simply use the
 * new one. Tokens are told apart by generation, not by text: a new token
 * may well read the same as the old one.
 */
export class EcrSession {
  private current: SessionHeader;
  private refreshing: Promise<void> | undefined;

  constructor(
    first: RegistryCredentials,
    private readonly fetch: () => Promise<RegistryCredentials>,
  ) {
    this.current = { header: createRegistryAuthHeader(first), generation: 0 };
  }

  header(): SessionHeader {
    return this.current;
  }

  /**
   * After a push with `failed` was refused: true when a newer token is
   * there to retry with, false when the replaced token was refused too.
   */
  async refresh(failed: SessionHeader): Promise<boolean> {
    if (failed.generation < this.current.generation) return true;
    if (!this.refreshing) {
      this.refreshing = this.fetch().then((credentials) => {
        this.current = {
          header: createRegistryAuthHeader(credentials),
          generation: this.current.generation + 1,
        };
      });
    }
    await this.refreshing;
    return failed.generation < this.current.generation;
  }
}
