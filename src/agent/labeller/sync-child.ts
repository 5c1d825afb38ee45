/**
 * The labeller's short-lived Kubernetes step, run as a child process (see sync-process.ts):
 * reads `{ nodeName, desired }` as JSON on stdin, syncs the labels, and prints one JSON line.
 */
import { loadKubeConfig } from '../../kube/client.js';
import { childKubeconfigPath } from '../config.js';
import { createNodeLabelSync } from './node-labels.js';
import { LabelSyncError } from './sync-error.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

function parseRequest(text: string): { nodeName: string; desired: Record<string, string> } {
  const req = JSON.parse(text) as { nodeName?: unknown; desired?: unknown };
  const desired = req.desired as Record<string, unknown> | undefined;
  if (
    typeof req.nodeName !== 'string' ||
    typeof desired !== 'object' ||
    desired === null ||
    !Object.values(desired).every((v) => typeof v === 'string')
  ) {
    throw new Error('the request must be {"nodeName": string, "desired": {string: string}}');
  }
  return { nodeName: req.nodeName, desired: desired as Record<string, string> };
}

let answer: unknown;
try {
  const { nodeName, desired } = parseRequest(await readStdin());
  const path = childKubeconfigPath();
  const sync = createNodeLabelSync(loadKubeConfig(path ? { path } : {}));
  answer = { ok: true, ...(await sync(nodeName, desired)) };
} catch (err) {
  const detail =
    err instanceof LabelSyncError
      ? err.detail
      : { message: err instanceof Error ? err.message : String(err) };
  answer = { ok: false, error: detail };
}
process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(0));
