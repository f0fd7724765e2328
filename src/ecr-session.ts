import {
  createRegistryAuthHeader,
  type RegistryCredentials,
} from './registry-auth.js';

/**
 * Holds the X-Registry-Auth header for one registry host, and replaces the
 * token at most once when the registry refuses it. Pushes that failed with
 * the old header while another push was already refreshing simply use the
 * new one.
 */
export class EcrSession {
  private current: string;
  private refreshing: Promise<void> | undefined;

  constructor(
    first: RegistryCredentials,
    private readonly fetch: () => Promise<RegistryCredentials>,
  ) {
    this.current = createRegistryAuthHeader(first);
  }

  header(): string {
    return this.current;
  }

  /** Returns false when the token was already replaced and still failed. */
  async refresh(failedHeader: string): Promise<boolean> {
    if (failedHeader !== this.current) return true;
    if (this.refreshing) {
      await this.refreshing;
      return failedHeader !== this.current;
    }
    this.refreshing = this.fetch().then((credentials) => {
      this.current = createRegistryAuthHeader(credentials);
    });
    await this.refreshing;
    return true;
  }
}
