import * as core from '@actions/core';
import { BatchGetImageCommand, type Image } from '@aws-sdk/client-ecr';
import type { AwsClients } from './aws-clients.js';
import type { ImageDetails } from './engine/client.js';
import { ActionError } from './errors.js';
import type { PushedReference } from './push.js';
import { repositoryOf, type PushTarget } from './targets.js';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

/** What ECR holds under some tags of one repository. */
async function remoteImages(
  clients: AwsClients,
  targets: PushTarget[],
): Promise<Map<string, Image>> {
  const first = targets[0];
  if (!first || first.registry.kind !== 'private') return new Map();
  let response;
  try {
    response = await clients.ecrIn(first.registry.region).send(
      new BatchGetImageCommand({
        registryId: first.registry.accountId,
        repositoryName: first.repository,
        imageIds: targets.map((t) => ({ imageTag: t.tag })),
        acceptedMediaTypes: MANIFEST_TYPES,
      }),
    );
  } catch (error) {
    const name = (error as { name?: string })?.name ?? 'Error';
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      name === 'AccessDeniedException'
        ? ` The AWS identity needs "ecr:BatchGetImage" on ` +
          `${repositoryOf(first)} (it is part of the push policy).`
        : '';
    throw new ActionError(
      `Could not ask ECR what ${repositoryOf(first)} holds: ${name}: ${message}.${hint}`,
      { cause: error },
    );
  }
  const byTag = new Map<string, Image>();
  for (const image of response.images ?? []) {
    if (image.imageId?.imageTag) byTag.set(image.imageId.imageTag, image);
  }
  return byTag;
}

function groupByRepository<T extends { target: PushTarget }>(
  items: T[],
): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = repositoryOf(item.target);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()];
}

/**
 * Asks ECR what each pushed tag now names, and fails unless it is the
 * digest the push reported: another push racing ours, or a registry that
 * dropped the manifest, shows up here and not in production. When ECR
 * cannot be asked (no BatchGetImage permission, an endpoint without that
 * operation), the push itself stands: that is a warning, and the summary
 * says "not verified". ECR Public has no BatchGetImage at all.
 */
export async function verifyPushed(
  clients: AwsClients,
  pushed: PushedReference[],
  warn: (message: string) => void = (message) => core.warning(message),
): Promise<PushedReference[]> {
  const groups = groupByRepository(pushed);
  const checked = await Promise.all(
    groups.map(async (group) => {
      if (group[0]?.target.registry.kind !== 'private') {
        return group.map((item) => ({ ...item, unverified: 'ECR Public' }));
      }
      let images: Map<string, Image>;
      try {
        images = await remoteImages(
          clients,
          group.map((p) => p.target),
        );
      } catch (error) {
        if (!(error instanceof ActionError)) throw error;
        warn(
          `${error.message} The push succeeded; its digest is not verified.`,
        );
        return group.map((item) => ({ ...item, unverified: 'ECR not asked' }));
      }
      return group.map((item) => {
        const remote = images.get(item.target.tag)?.imageId?.imageDigest;
        if (remote !== item.digest) {
          throw new ActionError(
            `ECR says ${item.reference} is ${remote ?? 'not there'}, but the ` +
              `push reported ${item.digest}. ` +
              'Another job may have pushed the same tag at the same moment; run the job again.',
          );
        }
        return { ...item, verified: true };
      });
    }),
  );
  return inOrderOf(pushed, checked.flat());
}

/** The checked copy of each of `pushed`, in the order of `pushed`. */
function inOrderOf(
  pushed: PushedReference[],
  checked: PushedReference[],
): PushedReference[] {
  const byReference = new Map(checked.map((p) => [p.reference, p]));
  return pushed.map((p) => byReference.get(p.reference)!);
}

/**
 * Verifies references while the others still push: each is handed over as
 * its own push ends, those ending together are asked about in one call, and
 * `results` waits for all. Besides not waiting for the last push to ask about
 * the first, this takes the SDK's first-call cost of BatchGetImage off the
 * end of the step. A failure to ask ECR is warned about once.
 */
export class Verifier {
  private readonly waiting: PushedReference[] = [];
  private readonly added = new Set<string>();
  private readonly batches: Array<Promise<PushedReference[]>> = [];
  private readonly warned = new Set<string>();

  constructor(
    private readonly clients: AwsClients,
    private readonly warn: (message: string) => void = (message) =>
      core.warning(message),
  ) {}

  add(pushed: PushedReference): void {
    if (this.added.has(pushed.reference)) return;
    this.added.add(pushed.reference);
    this.waiting.push(pushed);
    // Pushes that end in the same turn of the event loop share one call.
    if (this.waiting.length === 1) setImmediate(() => this.askNow());
  }

  /** Each of `pushed`, verified (added now if it was not yet), in order. */
  async results(pushed: PushedReference[]): Promise<PushedReference[]> {
    for (const reference of pushed) this.add(reference);
    this.askNow();
    return inOrderOf(pushed, (await Promise.all(this.batches)).flat());
  }

  private askNow(): void {
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    const check = verifyPushed(this.clients, batch, (message) => {
      if (this.warned.has(message)) return;
      this.warned.add(message);
      this.warn(message);
    });
    // Reported by results(); a push failure may be reported instead.
    check.catch(() => {});
    this.batches.push(check);
  }
}

/**
 * Whether ECR already holds the local image under `target`'s tag: the
 * remote manifest's config is the local image ID, or the remote digest is
 * one the engine recorded for the image. Undefined when the tag is absent.
 */
export async function findExistingImage(
  clients: AwsClients,
  target: PushTarget,
  local: ImageDetails,
): Promise<{ digest: string; same: boolean } | undefined> {
  const image = (await remoteImages(clients, [target])).get(target.tag);
  const digest = image?.imageId?.imageDigest;
  if (!image || !digest) return undefined;
  const localDigests = local.repoDigests.map((d) =>
    d.slice(d.indexOf('@') + 1),
  );
  return {
    digest,
    same: configDigestOf(image) === local.id || localDigests.includes(digest),
  };
}

function configDigestOf(image: Image): string | undefined {
  try {
    const manifest = JSON.parse(image.imageManifest ?? '') as {
      config?: { digest?: string };
    };
    return manifest.config?.digest;
  } catch {
    return undefined;
  }
}
