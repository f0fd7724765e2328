import type { EngineClient } from './engine/client.js';
import { repositoryOf, type PushTarget } from './targets.js';

/**
 * Starts giving the local image every target's name and returns, per
 * target, when its own name exists. A push waits only for its own name, so
 * the later names are made while the first reference uploads its layers.
 *
 * The requests go one at a time: Podman loses a name when two tag requests
 * for one image overlap (it rewrites the image's whole name list each
 * time). A failed tag does not stop the next one; it fails the push that
 * waits for it.
 */
export function tagInTurn(
  engine: EngineClient,
  imageId: string,
  targets: PushTarget[],
): (target: PushTarget) => Promise<void> {
  const tagged = new Map<PushTarget, Promise<void>>();
  let previous: Promise<void> = Promise.resolve();
  for (const target of targets) {
    const tag = previous.then(() =>
      engine.tagImage(imageId, repositoryOf(target), target.tag),
    );
    // Its push reports the failure; until then it is not unhandled.
    previous = tag.catch(() => undefined);
    tagged.set(target, tag);
  }
  return (target) => tagged.get(target) ?? Promise.resolve();
}
