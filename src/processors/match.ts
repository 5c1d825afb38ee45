import type { Payload } from '../queues/registry.js';
import type { ProvisionDeps } from './provision.js';

/** `match` (one per board, deduplicated): a kick after a slot freed or a node appeared. */
export function matchProcessor(deps: Pick<ProvisionDeps, 'passes'>) {
  return async (data: Payload<'match'>) => {
    const pass = await deps.passes.run(data.board);
    return { reserved: pass.reserved.length, free: pass.free, waitingPools: pass.waiting.size };
  };
}
