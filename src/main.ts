import * as core from '@actions/core';
import { getEcrAuthorization } from './ecr.js';
import { EngineClient, type ImageDetails } from './engine/client.js';
import { parseDockerHost, type EngineEndpoint } from './engine/docker-host.js';
import { ActionError, describeFailure } from './errors.js';
import { readInputs, type Inputs } from './inputs.js';
import { setOutputs, writeSummary } from './outputs.js';
import { pushAll, type PushTarget } from './push.js';
import { formatLocalImage } from './reference.js';
import { EcrSession } from './ecr-session.js';

/** The one error boundary: whatever is thrown fails the step, once. */
export async function run(): Promise<void> {
  try {
    await pushToEcr(readInputs());
  } catch (error) {
    core.setFailed(describeFailure(error));
  }
}

async function pushToEcr(inputs: Inputs): Promise<void> {
  const endpoint = parseDockerHost(inputs.dockerHost, process.env);
  // The token request and the engine checks do not depend on each other.
  // Both are awaited so neither failure goes unhandled; the local problem is
  // reported first, as the one the user can fix without AWS.
  const [local, ecr] = await Promise.allSettled([
    openEngine(endpoint, inputs),
    getEcrAuthorization(inputs.region),
  ]);
  if (local.status === 'rejected') throw local.reason;
  const { engine, image } = local.value;
  try {
    if (ecr.status === 'rejected') throw ecr.reason;
    const authorization = ecr.value;
    const registry = authorization.serverAddress;
    const repository = `${registry}/${inputs.repository}`;
    core.info(
      `Pushing ${inputs.imageInput} (${image.id}) to ${repository} as ${inputs.tags.join(', ')}`,
    );
    const session = new EcrSession(inputs.region, authorization);
    const targets: PushTarget[] = inputs.tags.map((tag) => ({
      repository,
      tag,
    }));
    for (const target of targets) {
      await engine.tagImage(image.id, target.repository, target.tag);
    }
    const pushed = await pushAll(engine, targets, {
      session,
      attempts: inputs.maxAttempts,
    });
    const report = { registry, pushed, imageSize: image.size };
    setOutputs(report);
    await writeSummary(report);
  } finally {
    await engine.close();
  }
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
