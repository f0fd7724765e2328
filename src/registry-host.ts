// Which ECR registry a host name is, and so which region's token opens it.
// Private registries: <account>.dkr.ecr[-fips].<region>.<partition domain>,
// dual-stack <account>.dkr-ecr[-fips].<region>.on.aws; ECR Public is one
// host, public.ecr.aws, whose tokens come from us-east-1 only.

export type RegistryHost =
  | {
      kind: 'private';
      host: string;
      /** Undefined for a registry host that is not ECR-shaped (see below). */
      accountId: string | undefined;
      region: string;
      fips: boolean;
      dualStack: boolean;
    }
  | { kind: 'public'; host: string; region: 'us-east-1' };

export const ECR_PUBLIC_HOST = 'public.ecr.aws';

const PARTITION_DOMAINS = [
  'amazonaws.com',
  'amazonaws.com.cn',
  'amazonaws.eu',
  'c2s.ic.gov',
  'sc2s.sgov.gov',
  'cloud.adc-e.uk',
  'csp.hci.ic.gov',
].map((domain) => domain.replace(/\./g, '\\.'));

// ECR itself never names a port, but a registry reached through a tunnel or
// a test stand-in may, so one is allowed after the host.
const PORT = '(?::\\d{1,5})?';
const PRIVATE_RE = new RegExp(
  `^(\\d{12})\\.dkr\\.ecr(-fips)?\\.([a-z0-9-]+)\\.(?:${PARTITION_DOMAINS.join('|')})${PORT}$`,
);
const DUAL_STACK_RE = new RegExp(
  `^(\\d{12})\\.dkr-ecr(-fips)?\\.([a-z0-9-]+)\\.on\\.aws${PORT}$`,
);

/** Undefined when `host` is not an ECR registry. */
export function parseRegistryHost(host: string): RegistryHost | undefined {
  const name = host.toLowerCase();
  if (name === ECR_PUBLIC_HOST) {
    return { kind: 'public', host: name, region: 'us-east-1' };
  }
  const match = PRIVATE_RE.exec(name) ?? DUAL_STACK_RE.exec(name);
  if (!match) return undefined;
  const [, accountId = '', fips, region = ''] = match;
  return {
    kind: 'private',
    host: name,
    accountId,
    region,
    fips: Boolean(fips),
    dualStack: /\.on\.aws(:\d+)?$/.test(name),
  };
}

/**
 * The registry a region's token names (its proxyEndpoint). It is normally
 * ECR-shaped; when it is not (an endpoint override pointing elsewhere), it
 * is still the caller's own registry in that region, with no account ID to
 * name it by, so API calls address the default registry.
 */
export function defaultRegistryHost(
  host: string,
  region: string,
): RegistryHost {
  const parsed = parseRegistryHost(host);
  if (parsed?.kind === 'private') return parsed;
  return {
    kind: 'private',
    host,
    accountId: undefined,
    region,
    fips: false,
    dualStack: false,
  };
}
