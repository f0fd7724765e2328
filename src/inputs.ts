import * as core from '@actions/core';
import { ActionError, quote } from './errors.js';
import {
  ecrRepositoryProblem,
  parseLocalImage,
  type LocalImage,
} from './reference.js';
import { defaultDockerHost } from './engine/docker-host.js';
import { parseTagEntry, type TagEntry } from './targets.js';

export interface Inputs {
  image: LocalImage;
  /** The `image` input as written, for messages. */
  imageInput: string;
  repository: string;
  /** Bare tags and whole references, in the order given. */
  tags: TagEntry[];
  /** The region of the default registry; undefined when no bare tag needs one. */
  region: string | undefined;
  dockerHost: string;
  /** Attempts per pushed reference, the first included. */
  maxAttempts: number;
  /** Set when missing repositories are to be created. */
  repositorySettings: RepositorySettings | undefined;
}

export interface RepositorySettings {
  imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
  /** A KMS key ARN, ID or alias; AES256 when undefined. */
  kmsKey: string | undefined;
}

const MUTABILITY = ['MUTABLE', 'IMMUTABLE'] as const;

/**
 * action.yml's defaults, for inputs that arrive empty: a workflow
 * expression that evaluates to '' means "the default", and so does a
 * runner or harness that passes no value. A test keeps these equal to
 * action.yml.
 */
export const EMPTY_INPUT_DEFAULTS = {
  'create-repository': 'false',
  'image-tag-mutability': 'MUTABLE',
  'max-attempts': '3',
} as const;

type DefaultedInput = keyof typeof EMPTY_INPUT_DEFAULTS;

function inputOrDefault(name: DefaultedInput): string {
  return core.getInput(name) || EMPTY_INPUT_DEFAULTS[name];
}

function readRepositorySettings(): RepositorySettings | undefined {
  if (!readBoolean('create-repository')) return undefined;
  const mutability = inputOrDefault('image-tag-mutability').toUpperCase();
  if (!(MUTABILITY as readonly string[]).includes(mutability)) {
    throw new ActionError(
      `Input "image-tag-mutability" must be MUTABLE or IMMUTABLE, not ${quote(mutability)}.`,
    );
  }
  return {
    imageTagMutability: mutability as RepositorySettings['imageTagMutability'],
    kmsKey: core.getInput('kms-key') || undefined,
  };
}

// us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1, ap-southeast-7 …
const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * Reads and validates every input before anything touches the network, so
 * that a typo fails the step at once with a message about that input.
 */
export function readInputs(env: NodeJS.ProcessEnv = process.env): Inputs {
  const imageInput = core.getInput('image');
  if (!imageInput) {
    throw new ActionError(
      'Input "image" is required: name the local image to push, for example ' +
        'my-app:${{ github.sha }}.',
    );
  }
  const image = parseLocalImage(imageInput);
  if (!image) {
    throw new ActionError(
      `Input "image" is not a valid Docker image reference: ${quote(imageInput)}. ` +
        'Use name[:tag] (for example my-app:1.2.0) or an image ID (sha256:…).',
    );
  }
  const tags = readTags(image);
  // Bare tags need a repository and the region's registry; whole
  // references carry both.
  const hasBareTags = tags.some((entry) => entry.kind === 'tag');
  return {
    image,
    imageInput,
    repository: hasBareTags ? readRepository(image) : '',
    tags,
    region: readRegion(env, hasBareTags),
    repositorySettings: readRepositorySettings(),
    dockerHost:
      core.getInput('docker-host') || env.DOCKER_HOST || defaultDockerHost(env),
    maxAttempts: readMaxAttempts(),
  };
}

function readRepository(image: LocalImage): string {
  const given = core.getInput('repository');
  if (!given && image.kind === 'id') {
    throw new ActionError(
      'Input "repository" is required when "image" is an image ID: ' +
        'there is no name to take the ECR repository from.',
    );
  }
  const repository = given || (image.kind === 'name' ? image.path : '');
  const problem = ecrRepositoryProblem(repository);
  if (problem) {
    const source = given
      ? 'Input "repository"'
      : 'The repository taken from "image"';
    throw new ActionError(
      `${source} is not a valid ECR repository name: ${quote(repository)}; ${problem}. ` +
        (given ? 'Fix the input.' : 'Set the "repository" input.'),
    );
  }
  return repository;
}

/** `tags` accepts newlines and commas, so a metadata-action list works too. */
export function splitList(text: string): string[] {
  const items = text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return [...new Set(items)];
}

function readTags(image: LocalImage): TagEntry[] {
  const entries = splitList(core.getInput('tags'));
  if (entries.length === 0) {
    entries.push(image.kind === 'name' && image.tag ? image.tag : 'latest');
  }
  return entries.map(parseTagEntry);
}

function readRegion(
  env: NodeJS.ProcessEnv,
  needed: boolean,
): string | undefined {
  const region =
    core.getInput('region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
  if (!region && !needed) return undefined;
  if (!region) {
    throw new ActionError(
      'No AWS region: set the "region" input, or AWS_REGION ' +
        '(aws-actions/configure-aws-credentials sets it).',
    );
  }
  if (!REGION_RE.test(region)) {
    throw new ActionError(
      `${quote(region)} is not an AWS region name. Use one such as us-east-1.`,
    );
  }
  return region;
}

/** core.getBooleanInput, with the default when empty and our message. */
function readBoolean(name: DefaultedInput): boolean {
  const fallback: string = EMPTY_INPUT_DEFAULTS[name];
  if (!core.getInput(name)) return fallback === 'true';
  try {
    return core.getBooleanInput(name);
  } catch {
    throw new ActionError(
      `Input "${name}" must be true or false, not ${quote(core.getInput(name))}.`,
    );
  }
}

function readMaxAttempts(): number {
  const text = inputOrDefault('max-attempts');
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 10) {
    throw new ActionError(
      `Input "max-attempts" must be a whole number from 1 to 10, not ${quote(text)}.`,
    );
  }
  return value;
}
