/**
 * How long a runner pod takes to start in the simulator, step by step: the image pull (the first
 * pod of an image on a node only; the kubelet caches it), Docker's start in the entrypoint (per
 * DOCKER_MODE) and the runner's start and registration with GitHub. A pool is a board, an image
 * and a Docker mode, so these three give each pool its own start-up time.
 *
 * `fast` (the default) keeps tests quick. `realistic` is an estimate for the RISC-V boards (see
 * docs/simulator.md: none of it could be measured here); scale it to the demo's compressed time.
 */
/** The runner image's DOCKER_MODE values (images/runner/entrypoint.sh). */
export type DockerMode = 'privileged' | 'rootless' | 'none';

export interface StartupProfile {
  /** Pulling and unpacking the runner image on a node that does not have it yet. */
  imagePullMs: number;
  /** containerd and dockerd until `docker info` answers, per DOCKER_MODE. */
  dockerdMs: Record<DockerMode, number>;
  /** run.sh until "Listening for Jobs": the .NET runner starting and registering its JIT config. */
  registerMs: number;
  /**
   * Per board (the node's `riseproject.dev/board` label): a factor on all of the above, for
   * slower or faster hardware; 1 when the board is not listed.
   */
  boards: Record<string, number>;
}

export const FAST_STARTUP: StartupProfile = {
  imagePullMs: 5,
  dockerdMs: { privileged: 0, rootless: 0, none: 0 },
  registerMs: 0,
  boards: {},
};

/** Estimates for the original's boards, in real time (not measured: no board can be reached here). */
export const REALISTIC_STARTUP: StartupProfile = {
  // A ~1.5 GB image over the boards' links, unpacked by a slow CPU onto eMMC or NVMe. Nodes
  // usually have it already: the device-plugin DaemonSet pre-pulls it.
  imagePullMs: 90_000,
  // rootlesskit, slirp4netns and a user namespace on top of what privileged dockerd does.
  dockerdMs: { privileged: 4_000, rootless: 7_000, none: 0 },
  // The runner is JIT-heavy .NET: tens of seconds of start-up on in-order RISC-V cores.
  registerMs: 15_000,
  // MILK-V Pioneer (SG2042, 64 cores) starts faster than the 4-core TH1520 of the EM-RV1.
  boards: { 'scw-em-rv1': 1, 'cloudv10x-pioneer': 0.6, 'cloudv10x-rvv': 1 },
};

export const STARTUP_PRESETS = { fast: FAST_STARTUP, realistic: REALISTIC_STARTUP } as const;
export type StartupPreset = keyof typeof STARTUP_PRESETS;

/** Every delay multiplied by `factor` (0.01 turns the realistic 90 s pull into 0.9 s). */
export function scaleStartup(profile: StartupProfile, factor: number): StartupProfile {
  const s = (ms: number) => Math.round(ms * factor);
  return {
    imagePullMs: s(profile.imagePullMs),
    dockerdMs: {
      privileged: s(profile.dockerdMs.privileged),
      rootless: s(profile.dockerdMs.rootless),
      none: s(profile.dockerdMs.none),
    },
    registerMs: s(profile.registerMs),
    boards: { ...profile.boards },
  };
}

export interface StartupOptions {
  /** The base: a preset's name, default `fast`. */
  preset?: StartupPreset;
  /** Multiplies every delay of the base (not the explicit ones below). */
  scale?: number;
  imagePullMs?: number;
  dockerdMs?: Partial<Record<DockerMode, number>>;
  registerMs?: number;
  boards?: Record<string, number>;
}

/** The profile for the options: a preset, scaled, then explicit values on top. */
export function startupProfile(options: StartupOptions = {}): StartupProfile {
  const base = scaleStartup(STARTUP_PRESETS[options.preset ?? 'fast'], options.scale ?? 1);
  return {
    imagePullMs: options.imagePullMs ?? base.imagePullMs,
    dockerdMs: { ...base.dockerdMs, ...options.dockerdMs },
    registerMs: options.registerMs ?? base.registerMs,
    boards: { ...base.boards, ...options.boards },
  };
}

/** The factor for a node with these labels. */
export function boardFactor(
  boards: Readonly<Record<string, number>>,
  nodeLabels: Readonly<Record<string, string>> | undefined,
): number {
  const board = nodeLabels?.['riseproject.dev/board'];
  return (board !== undefined ? boards[board] : undefined) ?? 1;
}

/** `a=1,b=2` into numbers by name; an error line names the flag. */
function pairs(flag: string, text: string, names?: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [name = '', value = ''] = part.split('=');
    if (!/^[A-Za-z0-9._-]+$/.test(name) || (names && !names.includes(name))) {
      throw new Error(`--${flag}: "${name}" is not one of ${names?.join(', ') ?? 'the boards'}`);
    }
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < 0) {
      throw new Error(`--${flag}: "${part}" is not name=number`);
    }
    out[name] = n;
  }
  return out;
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(`--${flag}: "${text}" is not a number`);
  }
  return n;
}

/** The CLI's start-up flags (`npm run sim -- --help`); throws one line naming the bad flag. */
export function startupFromFlags(flags: {
  startup?: string;
  'startup-scale'?: string;
  'image-pull-ms'?: string;
  'dockerd-ms'?: string;
  'register-ms'?: string;
  'board-factors'?: string;
}): StartupOptions {
  const preset = flags.startup ?? 'fast';
  if (!(preset in STARTUP_PRESETS)) {
    throw new Error(
      `--startup: "${preset}" is not one of ${Object.keys(STARTUP_PRESETS).join(', ')}`,
    );
  }
  const dockerd = flags['dockerd-ms'];
  const boards = flags['board-factors'];
  return {
    preset: preset as StartupPreset,
    scale: number('startup-scale', flags['startup-scale']),
    imagePullMs: number('image-pull-ms', flags['image-pull-ms']),
    registerMs: number('register-ms', flags['register-ms']),
    ...(dockerd
      ? { dockerdMs: pairs('dockerd-ms', dockerd, ['privileged', 'rootless', 'none']) }
      : {}),
    ...(boards ? { boards: pairs('board-factors', boards) } : {}),
  };
}
