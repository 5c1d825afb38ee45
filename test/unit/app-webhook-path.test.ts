import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { listenLocal, readResponse } from '../helpers/http.js';

describe('createApp webhook fast path', () => {
  const seen: string[] = [];
  const other = express.Router();
  other.post('/other', (_req, res) => void res.json({ via: 'router' }));
  const app = createApp({
    log: createLogger({ level: 'silent', name: 'test' }),
    routers: [other],
    webhook: {
      matches: (url) => url === '/hook' || url === '/fail',
      handler: (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        if (req.url === '/fail') return Promise.reject(new Error('boom'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"via":"fast"}');
        return Promise.resolve();
      },
    },
  });
  const served = listenLocal(app);
  afterAll(async () => (await served).server.close());

  it('answers a matching POST ahead of the routers, and leaves the rest to Express', async () => {
    const { url } = await served;
    const hook = await readResponse(await fetch(`${url}/hook`, { method: 'POST', body: '{}' }));
    expect(hook).toMatchObject({ status: 200, json: { via: 'fast' } });
    const routed = await readResponse(await fetch(`${url}/other`, { method: 'POST' }));
    expect(routed).toMatchObject({ status: 200, json: { via: 'router' } });
    // A GET to the same path is not the webhook's: Express answers it (404 here).
    expect((await fetch(`${url}/hook`)).status).toBe(404);
    expect(seen).toEqual(['POST /hook']);
  });

  it('answers a failing handler as the error handler does: 500 JSON, no stack trace', async () => {
    const { url } = await served;
    const res = await readResponse(await fetch(`${url}/fail`, { method: 'POST', body: '{}' }));
    expect(res).toMatchObject({ status: 500, json: { error: 'Internal error' } });
    expect(res.text).not.toContain('boom');
  });
});
