import { relative } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { address, answers } from './net.js';
import { startPrivateRedis } from './redis-server.js';

/** A store to use: where it is, one line saying which it is, and how to let go of it. */
export interface Store {
  url: string;
  /** For a progress line, e.g. "PostgreSQL: embedded PostgreSQL on 127.0.0.1:41234 (…)". */
  description: string;
  /** Whether we started it (an embedded PostgreSQL, a private redis-server). */
  started: boolean;
  /** Stops what we started (nothing for a server that was already there). */
  stop: () => Promise<void>;
}

/** A store we cannot get: the message is one line saying what to do. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export const REDIS_INSTALL_HINT =
  'install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)';

const nothing = () => Promise.resolve();

const where = (url: string, port: number) => {
  const a = address(url, port);
  return `${a.host}:${a.port}`;
};

/** A path as a person would type it here: relative inside the working directory. */
export const displayPath = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
};

interface Choice {
  embedded: boolean;
  configuredUrl: string | undefined;
  envName: string;
  defaultUrl: string;
}

/** The configured server, or the one at `defaultUrl` when it answers; else why we start one. */
async function existing(kind: string, o: Choice, port: number): Promise<Store | string> {
  if (o.embedded) return '--embedded';
  if (o.configuredUrl) {
    const at = where(o.configuredUrl, port);
    const description = `${kind}: ${o.envName} (${at})`;
    return { url: o.configuredUrl, description, started: false, stop: nothing };
  }
  const { host, port: p } = address(o.defaultUrl, port);
  if (!(await answers(host, p))) return `nothing answers on ${host}:${p}`;
  const description = `${kind}: the server on ${host}:${p}`;
  return { url: o.defaultUrl, description, started: false, stop: nothing };
}

/**
 * PostgreSQL for the demo or the tests: the configured URL if any (`envName` names it); else the
 * server at `defaultUrl` when something answers there; else (or always with `embedded`) an
 * embedded PostgreSQL with its data in `dataDir`.
 */
export async function choosePostgres(
  opts: Choice & { dataDir?: string; keepData?: boolean; onLog?: (text: string) => void },
): Promise<Store> {
  const found = await existing('PostgreSQL', opts, 5432);
  if (typeof found !== 'string') return found;
  const pg = await startEmbeddedPostgres({
    dataDir: opts.dataDir,
    keepData: opts.keepData,
    onLog: opts.onLog,
  }).catch((err: unknown) => {
    throw new StoreUnavailableError(`${(err as Error).message} (or set ${opts.envName})`);
  });
  const fate = opts.keepData ? 'kept' : 'removed';
  return {
    url: pg.url,
    description: `PostgreSQL: embedded PostgreSQL on 127.0.0.1:${pg.port} (${found}; data in ${displayPath(pg.dataDir)}, ${fate} on exit)`,
    started: true,
    stop: pg.stop,
  };
}

/**
 * Redis for the demo or the tests: the configured URL if any; else the server at `defaultUrl`
 * when it answers; else (or always with `embedded`) a private `redis-server` from PATH.
 */
export async function chooseRedis(
  opts: Choice & {
    /** Where to look for redis-server (default: PATH). */
    path?: string;
    /** A process group of its own (see startPrivateRedis). */
    detached?: boolean;
  },
): Promise<Store> {
  const found = await existing('Redis', opts, 6379);
  if (typeof found !== 'string') return found;
  const redis = await startPrivateRedis({ path: opts.path, detached: opts.detached }).catch(
    (err: unknown) => {
      throw new StoreUnavailableError(`${(err as Error).message} (or set ${opts.envName})`);
    },
  );
  if (!redis) {
    throw new StoreUnavailableError(
      opts.embedded
        ? `--embedded starts a private Redis, but redis-server is not installed: ${REDIS_INSTALL_HINT}`
        : `Redis is not running (${found}) and redis-server is not installed: ${REDIS_INSTALL_HINT} or set ${opts.envName}`,
    );
  }
  return {
    url: redis.url,
    description: `Redis: a private redis-server on 127.0.0.1:${redis.port} (${found}; ${redis.binary}, stopped on exit)`,
    started: true,
    stop: redis.stop,
  };
}
