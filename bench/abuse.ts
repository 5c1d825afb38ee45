import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { fmt, peakRssMb, summarize } from './lib.js';
import { runLoad } from './load.js';

const BIG = 20 * 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 'x');
const ABUSERS = 50;
const SIGNED_CONNECTIONS = 10;
const SECONDS = 10;

/**
 * One abusive client, over and over: a 20 MB body, unsigned or with a wrong signature, written as
 * fast as the server takes it; a new connection once the server answers or closes.
 */
function abuser(
  port: number,
  signed: boolean,
  stop: () => boolean,
  open: Set<net.Socket>,
): Promise<void> {
  return new Promise((resolve) => {
    const again = () => {
      if (stop()) return resolve();
      const socket = net.connect({ port, host: '127.0.0.1' });
      open.add(socket);
      let left = BIG;
      const head =
        `POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
        `x-github-event: workflow_job\r\nx-github-delivery: ${randomUUID()}\r\n` +
        (signed ? `x-hub-signature-256: sha256=${'0'.repeat(64)}\r\n` : '') +
        `content-length: ${BIG}\r\n\r\n`;
      const pump = () => {
        while (left > 0 && !stop()) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return;
        }
      };
      socket.on('connect', () => {
        socket.write(head);
        pump();
      });
      socket.on('drain', pump);
      socket.on('data', () => socket.destroy());
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        setTimeout(again, 5);
      });
    };
    again();
  });
}

/** `--abuse`: peak RSS of the web process and signed latency while 20 MB bodies pour in. */
export async function abuse(o: {
  port: number;
  pid: number;
  delivery: (n: number) => { body: string; sig: string };
}): Promise<number> {
  let stop = false;
  let n = 0;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const abusers = Array.from({ length: ABUSERS }, (_, i) =>
    abuser(o.port, i % 2 === 1, () => stop, sockets),
  );
  const load = runLoad({
    port: o.port,
    path: '/webhook',
    connections: SIGNED_CONNECTIONS,
    shouldStop: () => stop,
    next: () => {
      const { body, sig } = o.delivery(n++);
      return {
        body,
        headers: [
          'content-type: application/json',
          'x-github-event: workflow_job',
          `x-github-delivery: ${randomUUID()}`,
          `x-hub-signature-256: ${sig}`,
        ],
      };
    },
    onResponse: (status, ms) => {
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    },
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop = true;
  const rss = peakRssMb(o.pid);
  for (const s of sockets) s.destroy();
  await Promise.all([load, ...abusers]);
  const lat = summarize(latencies);
  const met = rss < 150 && lat.p99 < 1000 && (statuses.get(200) ?? 0) > 0;
  console.log(`
abuse benchmark: ${ABUSERS} clients sending 20 MB bodies (half unsigned, half wrongly signed) for ${SECONDS}s, ${SIGNED_CONNECTIONS} connections of signed deliveries meanwhile
  web peak RSS        : ${fmt(rss)} MB
  signed deliveries   : ${latencies.length} answered, statuses ${JSON.stringify(Object.fromEntries(statuses))}
  signed latency ms   : p50 ${fmt(lat.p50, 2)}  p99 ${fmt(lat.p99, 2)}  max ${fmt(lat.max, 2)}
  targets             : RSS < 150 MB, signed p99 < 1 s → ${met ? 'MET' : 'NOT MET'}`);
  return 0;
}
