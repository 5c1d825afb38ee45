/**
 * Bringing the node's owned labels to their desired values through @kubernetes/client-node:
 * read the node, and only if a value differs, a JSON merge patch of just those labels (a merge
 * patch leaves every other label as it is).
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { describeKubeError } from '../../kube/client.js';
import { withTimeout } from '../../util/timeout.js';
import { labelChanges } from './labels.js';
import { LabelSyncError } from './sync-error.js';

export interface LabelSyncResult {
  /** The labels patched; empty when the node already had every value. */
  changed: Record<string, string>;
}

export type SyncLabels = (
  nodeName: string,
  desired: Readonly<Record<string, string>>,
) => Promise<LabelSyncResult>;

export function createNodeLabelSync(config: KubeConfig, timeoutMs = 10_000): SyncLabels {
  const api = config.makeApiClient(CoreV1Api);
  const sync: SyncLabels = async (name, desired) => {
    const node = await withTimeout(api.readNode({ name }), timeoutMs, 'kubernetes read node');
    const changed = labelChanges(node.metadata?.labels, desired);
    if (Object.keys(changed).length === 0) return { changed };
    await withTimeout(
      api.patchNode(
        { name, body: { metadata: { labels: changed } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      timeoutMs,
      'kubernetes patch node',
    );
    return { changed };
  };
  return async (name, desired) => {
    try {
      return await sync(name, desired);
    } catch (err) {
      throw new LabelSyncError(describeKubeError(err));
    }
  };
}
