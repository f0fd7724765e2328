import { getEcrAuthorization, type EcrAuthorization } from './ecr.js';
import { createRegistryAuthHeader } from './registry-auth.js';

/**
 * Holds the X-Registry-Auth header for one registry, and replaces the ECR
 * token at most once when the registry refuses it. Pushes that failed with
 * the old header while another push was already refreshing simply use the
 * new one.
 */
export class EcrSession {
  private current: string;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly region: string,
    first: EcrAuthorization,
    private readonly fetch = getEcrAuthorization,
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
    this.refreshing = this.fetch(this.region).then((authorization) => {
      this.current = createRegistryAuthHeader(authorization);
    });
    await this.refreshing;
    return true;
  }
}
