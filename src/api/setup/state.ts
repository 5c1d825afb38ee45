import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_KINDS, type AppKind } from './manifests.js';

const TTL_MS = 3_600_000;

/**
 * The manifest flow's `state`: GitHub hands it back on the redirect, and the callback takes only
 * a state this deployment signed (under ADMIN_TOKEN) within the hour. It also carries which App
 * was being created, so the callback names the right variables.
 */
export function createStateSigner(key: string, now: () => number = Date.now) {
  const mac = (payload: string) =>
    createHmac('sha256', key).update(`rise-setup-state:v1:${payload}`).digest('base64url');
  return {
    issue(kind: AppKind): string {
      const payload = `${kind}.${now() + TTL_MS}.${randomBytes(9).toString('base64url')}`;
      return `${payload}.${mac(payload)}`;
    },
    /** The App kind a valid, unexpired state names; undefined otherwise. */
    verify(state: unknown): AppKind | undefined {
      if (typeof state !== 'string') return undefined;
      const parts = state.split('.');
      if (parts.length !== 4) return undefined;
      const [kind, expires, nonce, got] = parts as [string, string, string, string];
      const want = mac(`${kind}.${expires}.${nonce}`);
      if (got.length !== want.length || !timingSafeEqual(Buffer.from(got), Buffer.from(want))) {
        return undefined;
      }
      if (!/^\d+$/.test(expires) || Number(expires) <= now()) return undefined;
      return APP_KINDS.find((k) => k === kind);
    },
  };
}
