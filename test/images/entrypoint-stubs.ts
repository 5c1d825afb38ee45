import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ENTRYPOINT = resolve(import.meta.dirname, '../../images/runner/entrypoint.sh');
export const RUNNER_VERSION = '2.335.1';

// Stub programs put first on PATH. Each records its argv and environment into $STUB_DIR so a
// test can assert what the entrypoint called, and writes its pid so leftovers can be stopped.
// The trap comes first and the pid file after it, so a test that waits for the pid file knows
// the stub will record its stop. dockerd waits for containerd, as the real one waits for its socket.
const daemon = (name: string, marksReady: boolean, waitsFor?: string): string => `#!/bin/bash
trap 'echo TERM >"$STUB_DIR/${name}.stopped"; kill "$sleeper" 2>/dev/null; exit 0' TERM
printf '%s\\n' "$@" >"$STUB_DIR/${name}.argv"
env >"$STUB_DIR/${name}.env"
echo $$ >"$STUB_DIR/${name}.pid"
echo "${name} stub: starting"
if [ "\${STUB_DAEMON_DIES:-}" = ${name} ]; then echo "${name} stub: failed to start daemon: boom"; exit 1; fi
echo "${name} stub: level=info msg=\\"API listen on /var/run/docker.sock\\""
${waitsFor ? `for _ in $(seq 100); do [ -e "$STUB_DIR/${waitsFor}.pid" ] && break; sleep 0.05; done` : ':'}
${marksReady ? '[ "${STUB_DOCKER_ANSWERS:-1}" = 1 ] && touch "$STUB_DIR/docker.ready"' : ':'}
sleep 30 &
sleeper=$!
wait "$sleeper"
`;

const STUBS: Record<string, string> = {
  // Tests run as root here; the stub makes the entrypoint take its non-root (sudo) paths.
  id: `#!/bin/bash
if [ "$1" = -u ]; then echo "\${STUB_UID:-1001}"; else exec /usr/bin/id "$@"; fi
`,
  sudo: `#!/bin/bash
printf '%s\\n' "$*" >>"$STUB_DIR/sudo.calls"
while [ "\${1:-}" != "\${1#-}" ]; do shift; done
exec "$@"
`,
  docker: `#!/bin/bash
printf '%s\\n' "$*" >>"$STUB_DIR/docker.calls"
if [ "$1" = info ] && [ -e "$STUB_DIR/docker.ready" ]; then exit 0; fi
echo "Cannot connect to the Docker daemon" >&2
exit 1
`,
  containerd: daemon('containerd', false),
  dockerd: daemon('dockerd', true, 'containerd'),
  'dockerd-rootless.sh': daemon('dockerd-rootless', true),
};

const RUN_SH = `#!/bin/bash
printf '%s\\n' "$@" >"$STUB_DIR/run.argv"
env >"$STUB_DIR/run.env"
pwd >"$STUB_DIR/run.cwd"
on_signal() { echo "$1" >"$STUB_DIR/run.signal"; kill "$sleeper" 2>/dev/null; exit "\${STUB_SIGNAL_EXIT:-7}"; }
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
touch "$STUB_DIR/run.started"
if [ "\${STUB_RUN_WAITS:-0}" = 1 ]; then
  sleep 30 &
  sleeper=$!
  wait "$sleeper"
fi
exit "\${STUB_RUN_EXIT:-0}"
`;

export interface Sandbox {
  dir: string;
  stubs: string;
  env: Record<string, string>;
  /** Contents of a file a stub wrote, or undefined when it did not write it. */
  read(name: string): string | undefined;
}

export function sandbox(jitconfig: string): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'entrypoint-'));
  const stubs = join(dir, 'bin');
  const home = join(dir, 'home');
  const records = join(dir, 'records');
  for (const d of [stubs, records, join(dir, 'logs')]) mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(STUBS)) writeExecutable(join(stubs, name), text);
  const runnerDir = join(home, 'actions-runner', 'cached', RUNNER_VERSION);
  mkdirSync(runnerDir, { recursive: true });
  writeExecutable(join(runnerDir, 'run.sh'), RUN_SH);
  const env: Record<string, string> = {
    PATH: `${stubs}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    LANG: 'C.UTF-8',
    STUB_DIR: records,
    RUNNER_HOME: home,
    RUNNER_VERSION,
    RUNNER_JITCONFIG: jitconfig,
    DOCKER_LOG_DIR: join(dir, 'logs'),
    // Never the host's own hierarchy: these point into the sandbox.
    CGROUP_ROOT: join(dir, 'cgroup'),
    CGROUP_SELF_FILE: join(dir, 'self-cgroup'),
    DOCKER_IPTABLES_LEGACY: '0',
    XDG_RUNTIME_DIR: join(dir, 'xdg'),
  };
  return {
    dir,
    stubs,
    env,
    read: (name) => {
      const path = join(records, name);
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    },
  };
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; output: string }>;
}

export function start(env: Record<string, string>): Run {
  const child = spawn('bash', [ENTRYPOINT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolveDone) =>
    child.on('close', (code) => resolveDone({ code, output })),
  );
  return { child, done };
}

/** Stops stub daemons a failed test may have left behind (only the pids our stubs wrote). */
export function stopLeftovers(box: Sandbox): void {
  for (const name of ['containerd', 'dockerd', 'dockerd-rootless']) {
    const pid = Number(box.read(`${name}.pid`));
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
}
