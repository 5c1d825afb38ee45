import { describe, expect, it } from 'vitest';
import { isWebhookPath } from '../../src/api/webhook/route.js';

describe('isWebhookPath', () => {
  it('matches /webhook and / as Express routing did (case, trailing slash, query string)', () => {
    for (const url of [
      '/webhook',
      '/webhook/',
      '/Webhook',
      '/webhook?x=1',
      '/',
      '/?a=b',
      '//',
      '/WEBHOOK/?q',
    ])
      expect(isWebhookPath(url), url).toBe(true);
  });

  it('does not match other paths', () => {
    for (const url of ['/webhooks', '/webhook/x', '/health', '/webhook//', '/x?/webhook'])
      expect(isWebhookPath(url), url).toBe(false);
  });
});
