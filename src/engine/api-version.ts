import { ActionError } from '../errors.js';

/**
 * The Engine API versions this action was written against. The oldest is
 * what Docker 19.03 speaks; engines newer than the newest still accept it
 * (Docker 29.3+ accepts 1.40 and up, 29.0–29.2 only 1.44 and up, which is
 * why the engine's own version is used whenever it is in range).
 */
export const OLDEST_API_VERSION = '1.40';
export const NEWEST_API_VERSION = '1.52';

function compare(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** Picks the API version to speak, given the `Api-Version` from `/_ping`. */
export function chooseApiVersion(engineVersion: string | undefined): string {
  if (!engineVersion || !/^\d+\.\d+$/.test(engineVersion)) {
    throw new ActionError(
      `The Docker engine did not report its API version (got ` +
        `${JSON.stringify(engineVersion ?? null)} from /_ping). ` +
        'Check that docker-host points at a Docker or Podman engine.',
    );
  }
  if (compare(engineVersion, OLDEST_API_VERSION) < 0) {
    throw new ActionError(
      `The Docker engine speaks API ${engineVersion}, older than ` +
        `${OLDEST_API_VERSION} that this action needs. ` +
        'Upgrade Docker to 19.03 or newer.',
    );
  }
  return compare(engineVersion, NEWEST_API_VERSION) > 0
    ? NEWEST_API_VERSION
    : engineVersion;
}
