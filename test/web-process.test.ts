import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryCommand } from './helpers/bundles.js';
import { createTestDb, createTestRedis, type TestDb } from './helpers/stores.js';
import { waitFor } from './helpers/wait.js';

let pg: TestDb;
const redis = createTestRedis();
beforeAll(async () => {
  pg = await createTestDb();
});
afterAll(async () => {
  await pg.drop();
  await redis.drop();
});

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  return port;
}

describe('the web process (node src/web.ts)', () => {
  it('on SIGTERM answers the delivery in flight, closes the keep-alive connection, and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, entryCommand('web'), {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: pg.url,
        DB_SCHEMA: pg.schema,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        DEPLOY_ENV: 'staging',
        GHAPP_WEBHOOK_SECRET: 'a-secret',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '8000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = once(child, 'exit');
    await waitFor(() => out.includes('"msg":"listening"'), {
      timeoutMs: 20_000,
      what: 'listening',
    });

    // Like GitHub: a keep-alive connection, with a delivery in flight when SIGTERM arrives; once
    // answered, the connection stays open (idle) unless the server closes it.
    const agent = new Agent({ keepAlive: true });
    let answered = 0;
    const req = request({ port, path: '/webhook', method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => (answered = res.statusCode ?? 0));
    });
    req.setHeader('content-type', 'application/json');
    req.write('{"zen":');
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    // The delivery ends only once the process has begun shutting down.
    await waitFor(() => out.includes('"msg":"shutting down"'), { what: 'shutting down' });
    req.end('"x"}');
    const [code] = (await exited) as [number | null];
    agent.destroy();
    expect(answered).toBe(400); // unsigned: answered, not dropped
    expect(code).toBe(0);
    // Exit 0 and "stopped": the steps ran; the 25 s shutdown deadline would exit 1.
    expect(out).toContain('"msg":"stopped"');
  }, 40_000);
});
