import * as core from '@actions/core';
import { AwsClients } from './aws-clients.js';
import { EngineClient, type ImageDetails } from './engine/client.js';
import { parseDockerHost, type EngineEndpoint } from './engine/docker-host.js';
import { ActionError, describeFailure } from './errors.js';
import { readInputs, type Inputs } from './inputs.js';
import { setOutputs, writeSummary } from './outputs.js';
import { pushAll } from './push.js';
import { formatLocalImage } from './reference.js';
import { defaultRegistryHost, type RegistryHost } from './registry-host.js';
import { RegistryTokens, sourceOf, uniqueSources } from './registry-tokens.js';
import { ensureRepositories } from './repository.js';
import { tagInTurn } from './tagging.js';
import { referenceOf, resolveTargets, type PushTarget } from './targets.js';
import { findExistingImage, Verifier } from './verify.js';

/** The one error boundary: whatever is thrown fails the step, once. */
export async function run(): Promise<void> {
  const clients = new AwsClients();
  try {
    await pushToEcr(readInputs(), clients);
  } catch (error) {
    core.setFailed(describeFailure(error));
  } finally {
    clients.destroy();
  }
}

async function pushToEcr(inputs: Inputs, clients: AwsClients): Promise<void> {
  const endpoint = parseDockerHost(inputs.dockerHost, process.env);
  const tokens = new RegistryTokens(clients);
  // Tokens and the engine checks do not depend on each other. Both are
  // awaited so neither failure goes unhandled; the local problem is
  // reported first, as the one the user can fix without AWS.
  const [local, remote] = await Promise.allSettled([
    openEngine(endpoint, inputs),
    resolveAllTargets(inputs, tokens),
  ]);
  if (local.status === 'rejected') throw local.reason;
  const { engine, image } = local.value;
  try {
    if (remote.status === 'rejected') throw remote.reason;
    const targets = remote.value;
    core.info(
      `Pushing ${inputs.imageInput} (${image.id}) as ${targets.map(referenceOf).join(', ')}`,
    );
    if (inputs.repositorySettings) {
      await ensureRepositories(clients, targets, inputs.repositorySettings);
    }
    const verifier = new Verifier(clients);
    const pushed = await pushAll(engine, targets, {
      tagged: tagInTurn(engine, image.id, targets),
      sessionFor: (target) => tokens.sessionFor(target),
      attempts: inputs.maxAttempts,
      onImmutableTag: (target) => sameImageOrFail(clients, target, image),
      onPushed: (reference) => verifier.add(reference),
    });
    const verified = await verifier.results(pushed);
    const report = {
      registry: targets[0]!.registry.host,
      pushed: verified,
      imageSize: image.size,
    };
    setOutputs(report);
    await writeSummary(report);
  } finally {
    await engine.close();
  }
}

/**
 * Works out every reference to push, fetching the tokens they need (one
 * per region, concurrently). Bare tags go to the registry that the
 * `region` token names, the caller's own.
 */
async function resolveAllTargets(
  inputs: Inputs,
  tokens: RegistryTokens,
): Promise<PushTarget[]> {
  const explicit = inputs.tags.flatMap((entry) =>
    entry.kind === 'reference' ? [entry.target] : [],
  );
  const sources = uniqueSources([
    ...(inputs.region
      ? [{ kind: 'private' as const, region: inputs.region }]
      : []),
    ...explicit.map(sourceOf),
  ]);
  tokens.prefetch(sources);
  let defaultRegistry: RegistryHost | undefined;
  if (inputs.region && inputs.tags.some((entry) => entry.kind === 'tag')) {
    const authorization = await tokens.authorizationFor({
      kind: 'private',
      region: inputs.region,
    });
    defaultRegistry = defaultRegistryHost(
      authorization.serverAddress,
      inputs.region,
    );
  }
  await Promise.all(sources.map((source) => tokens.authorizationFor(source)));
  return resolveTargets(inputs.tags, inputs.repository, defaultRegistry);
}

/** For an immutable tag: the digest it holds, when it is this image. */
async function sameImageOrFail(
  clients: AwsClients,
  target: PushTarget,
  image: ImageDetails,
): Promise<string> {
  if (target.registry.kind === 'public') {
    throw new ActionError(
      `Tag ${target.tag} of ${target.registry.host}/${target.repository} is ` +
        `immutable and already exists. ` +
        'ECR Public offers no way to check which image it holds, so this ' +
        'action cannot tell a re-run from a clash: push a new tag.',
    );
  }
  const existing = await findExistingImage(clients, target, image);
  if (existing?.same) return existing.digest;
  throw new ActionError(
    `Tag ${target.tag} of ${target.registry.host}/${target.repository} is ` +
      `immutable and already holds ` +
      `${existing?.digest ?? 'another image'}, not the local image ${image.id}. ` +
      'Push a new tag (for example the commit SHA) instead of reusing this one.',
  );
}

async function openEngine(
  endpoint: EngineEndpoint,
  inputs: Inputs,
): Promise<{ engine: EngineClient; image: ImageDetails }> {
  const engine = await EngineClient.connect(endpoint);
  try {
    core.debug(`Docker engine API ${engine.apiVersion}`);
    const image = await engine.inspectImage(formatLocalImage(inputs.image));
    if (!image) {
      throw new ActionError(
        `Image ${JSON.stringify(inputs.imageInput)} is not in the Docker engine. ` +
          'Build or load it in an earlier step of this job, or fix the "image" input.',
      );
    }
    return { engine, image };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
