import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listen } from '../lifecycle.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's tiny HTTP server: `GET /health` (the process answers) and `GET /metrics` (its own
 * registry). No Express: two routes, nothing to parse.
 */
export async function startMetricsServer(o: {
  port: number;
  host?: string;
  registry: Pick<Registry, 'metrics' | 'contentType'>;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
      return void res.end(JSON.stringify({ error: `Method ${req.method} is not allowed` }));
    }
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': o.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'Could not collect metrics' }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `No route for ${req.method} ${path}` }));
  });
  await listen(server, { port: o.port, host: o.host, variable: 'WORKER_METRICS_PORT' });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
