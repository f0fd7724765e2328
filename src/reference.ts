// Docker's reference grammar (distribution/reference) and ECR's stricter
// repository rules. Everything that ends up in an engine URL passes here.

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';

const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const ECR_REPOSITORY_RE =
  /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// A bare hex string of 12 to 64 characters is read as an image ID, as the
// docker CLI does for `docker push <id>`-style arguments.
const IMAGE_ID_RE = /^(?:sha256:[a-f0-9]{64}|[a-f0-9]{12,64})$/;

const MAX_PATH_LENGTH = 255;

export type LocalImage =
  | { kind: 'id'; id: string }
  | {
      kind: 'name';
      /** Registry host, when the name carries one (`ghcr.io`, `host:5000`). */
      domain?: string;
      /** Repository path without the registry host. */
      path: string;
      tag?: string;
      digest?: string;
    };

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isValidRegistryHost(host: string): boolean {
  return DOMAIN_RE.test(host);
}

/** Returns why `name` is not a valid ECR repository name, or undefined. */
export function ecrRepositoryProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 256) {
    return 'it must be 2 to 256 characters long';
  }
  if (!ECR_REPOSITORY_RE.test(name)) {
    return (
      'ECR allows lowercase letters and digits in path components ' +
      'separated by "/", with single ".", "_" or "-" between them'
    );
  }
  return undefined;
}

/**
 * Parses the `image` input: `name[:tag][@digest]` with an optional registry
 * host, or an image ID. Returns undefined when Docker would reject it.
 */
export function parseLocalImage(input: string): LocalImage | undefined {
  if (IMAGE_ID_RE.test(input)) return { kind: 'id', id: input };

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return undefined;
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) return undefined;
  }

  let domain: string | undefined;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // Docker's rule: the first component is a registry host only when it
  // looks like one (a dot, a port, localhost or an uppercase letter).
  if (slash >= 0 && (/[.:A-Z]/.test(first) || first === 'localhost')) {
    domain = first;
    rest = rest.slice(slash + 1);
    if (!isValidRegistryHost(domain)) return undefined;
  }

  if (rest.length > MAX_PATH_LENGTH || !PATH_RE.test(rest)) return undefined;
  return { kind: 'name', domain, path: rest, tag, digest };
}

/** The reference the engine knows the local image by. */
export function formatLocalImage(image: LocalImage): string {
  if (image.kind === 'id') return image.id;
  const name = image.domain ? `${image.domain}/${image.path}` : image.path;
  return (
    name +
    (image.tag ? `:${image.tag}` : '') +
    (image.digest ? `@${image.digest}` : '')
  );
}
