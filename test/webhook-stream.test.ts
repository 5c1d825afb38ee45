import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from './helpers/stores.js';
import { SECRET, startWeb, type TestWeb } from './helpers/web.js';
import { signed, workflowJob } from './helpers/webhooks.js';

let pg: TestDb;
let redis: TestRedis;
let web: TestWeb;

beforeAll(async () => {
  pg = await createTestDb();
  redis = createTestRedis();
  web = await startWeb({
    db: pg.db,
    redisUrl: redis.url,
    prefix: redis.prefix,
    secrets: [SECRET, 'next-secret'],
  });
});
afterAll(async () => {
  await web?.close();
  await redis?.drop();
  await pg?.drop();
});

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * A raw HTTP/1.1 client: writes the request head, then whatever `write` sends when it chooses
 * (possibly never), and resolves with the first response and whether the server closed after it.
 */
function open(url: string, headers: Record<string, string>) {
  const { port } = new URL(url);
  const socket = net.connect({ port: Number(port), host: '127.0.0.1' });
  socket.on('error', () => undefined);
  let buffer = '';
  const response = new Promise<RawResponse>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      resolve({
        status: Number(head.slice(9, 12)),
        head,
        body: buffer.slice(end + 4, end + 4 + length),
      });
    });
    socket.on('close', () => reject(new Error(`closed before a response: ${buffer}`)));
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([k, v]) => `${k}: ${v}`);
  socket.write(`POST /webhook HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  return { socket, response, closed };
}

const chunked = (part: string) => `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;

describe('answered before the body is read', () => {
  it('answers 400 to a request without X-Hub-Signature-256 while its body is still to come', async () => {
    const d = await signed('workflow_job', workflowJob('queued'), SECRET);
    const { 'x-hub-signature-256': _, ...headers } = d.headers;
    const req = open(web.url, { ...headers, 'content-length': '1000000' });
    const res = await req.response;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'Missing X-Hub-Signature-256 header' });
    expect(res.head).toMatch(/connection: close/i);
    await req.closed;
  });

  it('answers 415 to a body that is not JSON, without reading it', async () => {
    const d = await signed('workflow_job', undefined, SECRET, {
      body: 'payload=%7B%7D',
      contentType: 'application/x-www-form-urlencoded',
    });
    const req = open(web.url, { ...d.headers, 'content-length': '1000000' });
    const res = await req.response;
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).error).toMatch(/^Content-Type must be application\/json/);
  });

  it('answers 413 to a declared length over 25 MB before a byte of it arrives', async () => {
    const d = await signed('workflow_job', workflowJob('queued'), SECRET);
    const req = open(web.url, { ...d.headers, 'content-length': String(26 * 1024 * 1024) });
    const res = await req.response;
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toMatch(/^Body is larger than/);
    await req.closed;
  });

  it('cuts a chunked body at 25 MB with 413 and closes the connection', async () => {
    const d = await signed('workflow_job', workflowJob('queued'), SECRET);
    const req = open(web.url, { ...d.headers, 'transfer-encoding': 'chunked' });
    const part = 'x'.repeat(1024 * 1024);
    let sent = 0;
    let answered = false;
    void req.response.then(() => (answered = true)).catch(() => undefined);
    // Writes until the server answers; a server that read on would take all 40 MB.
    while (!answered && sent < 40) {
      if (!req.socket.write(chunked(part))) {
        await Promise.race([
          new Promise((r) => req.socket.once('drain', r)),
          req.response.catch(() => undefined),
        ]);
      }
      sent++;
    }
    const res = await req.response;
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(40);
    await req.closed;
  });
});

describe('streamed verification', () => {
  it('accepts a chunked delivery signed with the rotation secret, and rejects a changed one', async () => {
    const d = await signed('workflow_job', workflowJob('queued', { jobId: 91_001 }), 'next-secret');
    const { 'content-length': _cl, ...headers } = d.headers;
    const req = open(web.url, { ...headers, 'transfer-encoding': 'chunked' });
    const cut = Math.floor(d.body.length / 3);
    req.socket.write(chunked(d.body.slice(0, cut)));
    req.socket.write(chunked(d.body.slice(cut, 2 * cut)));
    req.socket.write(chunked(d.body.slice(2 * cut)) + '0\r\n\r\n');
    const res = await req.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ outcome: 'applied' });

    const bad = open(web.url, { ...headers, 'transfer-encoding': 'chunked' });
    bad.socket.write(chunked(d.body.replace('queued', 'waiting')) + '0\r\n\r\n');
    expect((await bad.response).status).toBe(401);
  });
});

describe('bytes in flight', () => {
  it('answers 503 with Retry-After beyond WEBHOOK_INFLIGHT_BYTES, and takes deliveries again after', async () => {
    const d1 = await signed('workflow_job', workflowJob('queued', { jobId: 92_001 }), SECRET);
    const d2 = await signed('workflow_job', workflowJob('queued', { jobId: 92_002 }), SECRET);
    const size = Buffer.byteLength(d1.body);
    const small = await startWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      inflightBytes: size + 100,
    });
    try {
      const first = open(small.url, { ...d1.headers, 'content-length': String(size) });
      first.socket.write(d1.body.slice(0, 100));
      // The first body is still arriving: its declared length holds the budget.
      await new Promise((r) => setTimeout(r, 50));
      const second = open(small.url, {
        ...d2.headers,
        'content-length': String(Buffer.byteLength(d2.body)),
      });
      second.socket.write(d2.body);
      const busy = await second.response;
      expect(busy.status).toBe(503);
      expect(busy.head).toMatch(/retry-after: 1/i);
      expect(JSON.parse(busy.body).error).toMatch(/in flight/);
      first.socket.write(d1.body.slice(100));
      expect((await first.response).status).toBe(200);
      first.socket.destroy();
      await new Promise((r) => setTimeout(r, 20));
      expect((await small.post(d2)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
