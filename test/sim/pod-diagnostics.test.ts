/**
 * `failure_info` keeps a failed pod's last log lines. Read through the real client from the
 * simulator's log endpoint (which applies `tailLines` and `limitBytes` as the API server does),
 * a noisy container must not fill the row: the API stops at LOG_LIMIT_BYTES, long lines are cut.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/kube/client.js';
import { collectDiagnostics, LOG_LIMIT_BYTES, LOG_LINE_BYTES } from '../../src/kube/diagnostics.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runnerPod } from '../helpers/kube-sim.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A pod whose runner container wrote `lines` and exited 1 (no node: only the test moves it). */
async function failedPod(lines: string[]) {
  sim = await startSimulator({ github: { apps: simApps() } });
  const kube = createKube({
    config: loadKubeConfig({ yaml: sim.kubeconfig }),
    namespace: 'default',
    deployEnv: 'prod',
  });
  const created = await kube.createPod(runnerPod('noisy'));
  const state = sim.kube.state;
  for (const line of lines) state.logs.append(created.metadata!.uid!, 'runner', line);
  const pod = state.update('Pod', 'default', 'noisy', (draft) => {
    draft.status = {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'runner',
          image: 'ghcr.io/rise/runner:2.330.0',
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          lastState: {},
          state: {
            terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date().toISOString() },
          },
        },
      ],
    };
  })!;
  return collectDiagnostics(kube, structuredClone(pod) as never);
}

const bytes = (lines: string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
const tail = (d: Record<string, unknown>) =>
  (d.containers as { name: string; logTail: string[] }[]).find((c) => c.name === 'runner')!.logTail;

describe('failure diagnostics of a noisy container', () => {
  it('reads at most LOG_LIMIT_BYTES of the log and cuts long lines with a marker', async () => {
    // 50 lines of 5 KB: 250 KB without a limit, 100 KB even with every line cut to 2 KB.
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(5_000)}`);
    const logTail = tail(await failedPod(lines));
    expect(bytes(logTail)).toBeLessThanOrEqual(LOG_LIMIT_BYTES + logTail.length * 40);
    expect(logTail.length).toBeGreaterThan(0);
    for (const line of logTail) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(LOG_LINE_BYTES + 40);
    }
    // The API returns the start of the last 50 lines: line 10 first.
    expect(logTail[0]).toMatch(/^line 10 x+ \[…cut \d+ bytes\]$/);
    expect(logTail[0]).toContain(`[…cut ${5_008 - LOG_LINE_BYTES} bytes]`);
  });

  it('keeps short lines as they are, and a multi-byte character is never cut in half', async () => {
    const long = `${'é'.repeat(3_000)}`;
    const logTail = tail(await failedPod(['starting', 'Error: exit 1', long]));
    expect(logTail.slice(0, 2)).toEqual(['starting', 'Error: exit 1']);
    expect(logTail[2]).toBe(
      `${'é'.repeat(LOG_LINE_BYTES / 2)} […cut ${6_000 - LOG_LINE_BYTES} bytes]`,
    );
  });
});
