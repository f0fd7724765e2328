import * as core from '@actions/core';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
} from '@aws-sdk/client-ecr';
import type { AwsClients } from './aws-clients.js';
import { ActionError } from './errors.js';
import type { RepositorySettings } from './inputs.js';
import { repositoryOf, type PushTarget } from './targets.js';

/**
 * Creates each private repository the targets name that does not exist
 * yet, with secure defaults. Another job creating it at the same moment is
 * fine. ECR Public repositories are left alone: their catalogue data
 * (description, logo, usage) is for a person to write.
 */
export async function ensureRepositories(
  clients: AwsClients,
  targets: PushTarget[],
  settings: RepositorySettings,
): Promise<void> {
  const unique = new Map<string, PushTarget>();
  for (const target of targets) {
    if (target.registry.kind === 'private')
      unique.set(repositoryOf(target), target);
  }
  await Promise.all(
    [...unique.values()].map((t) => ensureRepository(clients, t, settings)),
  );
}

/**
 * CreateRepository first: one call, and "already exists" is the answer for
 * a repository that was there or that another job created a moment ago. A
 * role that may not create repositories but whose repository exists is
 * fine too: a denied create falls back to asking whether it is there.
 */
async function ensureRepository(
  clients: AwsClients,
  target: PushTarget,
  settings: RepositorySettings,
): Promise<void> {
  if (target.registry.kind !== 'private') return;
  const client = clients.ecrIn(target.registry.region);
  const registryId = target.registry.accountId;
  const repositoryName = target.repository;
  try {
    await client.send(
      new CreateRepositoryCommand({
        registryId,
        repositoryName,
        imageTagMutability: settings.imageTagMutability,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: settings.kmsKey
          ? { encryptionType: 'KMS', kmsKey: settings.kmsKey }
          : { encryptionType: 'AES256' },
      }),
    );
    core.info(
      `Created repository ${repositoryOf(target)} (${settings.imageTagMutability}, ` +
        `${settings.kmsKey ? 'KMS' : 'AES256'}, scan on push)`,
    );
  } catch (error) {
    if (nameOf(error) === 'RepositoryAlreadyExistsException') return;
    if (nameOf(error) === 'AccessDeniedException') {
      const exists = await client
        .send(
          new DescribeRepositoriesCommand({
            registryId,
            repositoryNames: [repositoryName],
          }),
        )
        .then(
          () => true,
          () => false,
        );
      if (exists) return;
    }
    throw explain(error, 'CreateRepository', repositoryOf(target));
  }
}

function nameOf(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

function explain(
  error: unknown,
  operation: string,
  repository: string,
): ActionError {
  const message = error instanceof Error ? error.message : String(error);
  const permission =
    nameOf(error) === 'AccessDeniedException'
      ? ` The AWS identity needs "ecr:${operation}" on ${repository} for create-repository.`
      : '';
  return new ActionError(
    `${operation} for ${repository} failed: ${nameOf(error) || 'Error'}: ${message}.${permission}`,
    { cause: error },
  );
}
