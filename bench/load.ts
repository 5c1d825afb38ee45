import net from 'node:net';

export interface LoadRequest {
  /** Extra header lines, already formatted as "name: value". */
  headers: string[];
  body: string;
}

export interface LoadOptions {
  port: number;
  host?: string;
  path: string;
  connections: number;
  next: () => LoadRequest;
  onResponse: (status: number, latencyMs: number) => void;
  shouldStop: () => boolean;
}

/**
 * A lean HTTP/1.1 keep-alive load generator on raw sockets: one request in flight per connection
 * (closed loop). Node's http client costs several times more CPU per request, and on a 2-core
 * machine shared with the server that would measure the client, not the server.
 */
export async function runLoad(o: LoadOptions): Promise<void> {
  const host = o.host ?? '127.0.0.1';
  await Promise.all(Array.from({ length: o.connections }, () => connection()));

  function connection(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port: o.port, host, noDelay: true });
      let buffer: Buffer = Buffer.alloc(0);
      let started = 0;
      const send = () => {
        if (o.shouldStop()) {
          socket.end();
          return resolve();
        }
        const r = o.next();
        const head =
          `POST ${o.path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${Buffer.byteLength(r.body)}\r\n` +
          r.headers.join('\r\n') +
          '\r\n\r\n';
        started = performance.now();
        socket.write(head + r.body);
      };
      socket.on('connect', send);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffer.subarray(0, end).toString('latin1');
          const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          const status = Number(head.slice(9, 12));
          buffer = buffer.subarray(end + 4 + length);
          o.onResponse(status, performance.now() - started);
          send();
        }
      });
    });
  }
}
