// Which ECR registry a host name is, and so which region's token opens it.
// Private registries: <account>.dkr.ecr[-fips].<region>.<partition domain>,
// dual-stack <account>.dkr-ecr[-fips].<region>.on.aws; ECR Public is one
// host, public.ecr.aws, whose tokens come from us-east-1 only.

export type RegistryHost =
  | {
      kind: 'private';
      host: string;
      accountId: string;
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

const PRIVATE_RE = new RegExp(
  `^(\\d{12})\\.dkr\\.ecr(-fips)?\\.([a-z0-9-]+)\\.(?:${PARTITION_DOMAINS.join('|')})$`,
);
const DUAL_STACK_RE = /^(\d{12})\.dkr-ecr(-fips)?\.([a-z0-9-]+)\.on\.aws$/;

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
    dualStack: name.endsWith('.on.aws'),
  };
}
