import { ActionError, quote } from './errors.js';
import {
  ecrRepositoryProblem,
  isValidTag,
  parseLocalImage,
} from './reference.js';
import { parseRegistryHost, type RegistryHost } from './registry-host.js';

/** One reference to push: registry host, repository path and tag. */
export interface PushTarget {
  registry: RegistryHost;
  repository: string;
  tag: string;
}

/** An entry of the `tags` input: a bare tag or a whole reference. */
export type TagEntry =
  { kind: 'tag'; tag: string } | { kind: 'reference'; target: PushTarget };

/** `host/repository`, the name the engine tags and pushes. */
export function repositoryOf(target: PushTarget): string {
  return `${target.registry.host}/${target.repository}`;
}

export function referenceOf(target: PushTarget): string {
  return `${repositoryOf(target)}:${target.tag}`;
}

/**
 * Reads one `tags` entry. Whole references are accepted as
 * docker/metadata-action writes them, so its `tags` output chains as is.
 */
export function parseTagEntry(entry: string): TagEntry {
  if (isValidTag(entry)) return { kind: 'tag', tag: entry };
  const reference = parseLocalImage(entry);
  if (!reference || reference.kind !== 'name' || reference.digest) {
    throw new ActionError(
      `Input "tags" holds ${quote(entry)}, which is neither a tag nor a reference. ` +
        'A tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"; ' +
        'a reference is <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>.',
    );
  }
  const registry = reference.domain
    ? parseRegistryHost(reference.domain)
    : undefined;
  if (!registry) {
    throw new ActionError(
      `Input "tags" holds ${quote(entry)}, whose registry is not Amazon ECR. ` +
        'Use an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com or ' +
        'public.ecr.aws), or a bare tag.',
    );
  }
  const problem = ecrRepositoryProblem(reference.path);
  if (problem) {
    throw new ActionError(
      `Input "tags" holds ${quote(entry)}, whose repository is not a valid ECR name; ${problem}.`,
    );
  }
  if (registry.kind === 'public' && !reference.path.includes('/')) {
    throw new ActionError(
      `Input "tags" holds ${quote(entry)}: ECR Public references are ` +
        `public.ecr.aws/<alias>/<repository>:<tag>.`,
    );
  }
  return {
    kind: 'reference',
    target: {
      registry,
      repository: reference.path,
      tag: reference.tag ?? 'latest',
    },
  };
}

/**
 * Turns the entries into targets: bare tags go to `repository` in the
 * default registry (the one the `region` token names).
 */
export function resolveTargets(
  entries: TagEntry[],
  repository: string,
  defaultRegistry: RegistryHost | undefined,
): PushTarget[] {
  const targets = entries.map((entry): PushTarget => {
    if (entry.kind === 'reference') return entry.target;
    if (!defaultRegistry) {
      throw new ActionError(
        'Bare tags need the default ECR registry; set the "region" input.',
      );
    }
    return { registry: defaultRegistry, repository, tag: entry.tag };
  });
  const unique = new Map(
    targets.map((target) => [referenceOf(target), target]),
  );
  return [...unique.values()];
}
