/**
 * The device plugin's lifecycle: serve DevicePlugin on DIR/rise-riscv-runner.sock, register
 * with the kubelet, follow the directory (the kubelet removes plugin sockets and re-creates
 * kubelet.sock when it restarts), and keep the devices' health current.
 */
import * as grpc from '@grpc/grpc-js';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import {
  API_VERSION,
  KUBELET_SOCKET,
  devicePluginApi,
  unixAddress,
} from '../proto/device-plugin.js';
import { DeviceList } from './devices.js';
import { checkHealth, type HealthReport } from './health.js';
import { Registrar } from './registrar.js';
import { PLUGIN_OPTIONS, createPluginService, type PluginService } from './service.js';
import { fileIdentity } from './socket-files.js';

export const RESOURCE_NAME = 'riseproject.com/runner';
export const ENDPOINT = 'rise-riscv-runner.sock';
export const DRAIN_FILE = 'rise-riscv-runner.drain';

export interface DevicePluginConfig {
  pluginDir: string;
  slots: number;
  diskPaths: readonly string[];
  minFreeBytes?: number;
  /** How often health is checked (the drain marker is also noticed at once). */
  checkIntervalMs: number;
  /** The fallback for a directory watch that misses events. */
  pollIntervalMs?: number;
  registerBackoffMs?: number;
}

function bind(server: grpc.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

export class DevicePlugin {
  readonly socketPath: string;
  private readonly devices: DeviceList;
  private readonly service: PluginService;
  private readonly registrar: Registrar;
  private server: grpc.Server | undefined;
  private servedIdentity: string | undefined;
  private watcher: FSWatcher | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** Socket work and health checks each run one at a time, in order. */
  private socketQueue: Promise<void> = Promise.resolve();
  private healthQueue: Promise<void> = Promise.resolve();
  private lastReasons = '';
  private stopped = false;

  constructor(
    private readonly config: DevicePluginConfig,
    private readonly log: Logger,
  ) {
    this.socketPath = join(config.pluginDir, ENDPOINT);
    this.devices = new DeviceList(config.slots);
    this.service = createPluginService(this.devices, log);
    this.registrar = new Registrar({
      kubeletSocket: join(config.pluginDir, KUBELET_SOCKET),
      request: {
        version: API_VERSION,
        endpoint: ENDPOINT,
        resource_name: RESOURCE_NAME,
        options: PLUGIN_OPTIONS,
      },
      log,
      ...(config.registerBackoffMs ? { initialBackoffMs: config.registerBackoffMs } : {}),
    });
  }

  async start(): Promise<void> {
    await mkdir(this.config.pluginDir, { recursive: true });
    await this.checkHealthNow();
    await this.serve();
    this.log.info(
      { socket: this.socketPath, slots: this.config.slots, resource: RESOURCE_NAME },
      'serving the device plugin',
    );
    this.watchDirectory();
    const every = (ms: number, run: () => void) => {
      const timer = setInterval(run, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.pollIntervalMs ?? 1_000, () => this.reconcileSockets());
    every(this.config.checkIntervalMs, () => void this.checkHealthNow());
    this.registrar.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.registrar.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.watcher?.close();
    await this.socketQueue;
    this.service.endStreams();
    await this.shutdownServer();
    // Only our own socket: a new plugin process may already have bound the path.
    if (this.servedIdentity && (await fileIdentity(this.socketPath)) === this.servedIdentity) {
      await rm(this.socketPath, { force: true });
    }
  }

  /** The devices' current health, as the kubelet sees it on ListAndWatch. */
  isHealthy(): boolean {
    return this.devices.isHealthy();
  }

  private watchDirectory(): void {
    try {
      this.watcher = watch(this.config.pluginDir, (_event, file) => {
        if (file === null || file === DRAIN_FILE) void this.checkHealthNow();
        if (file === null || file === ENDPOINT || file === KUBELET_SOCKET) this.reconcileSockets();
      });
      this.watcher.on('error', (err) => {
        this.log.warn({ err }, 'watching the plugin directory failed; polling only');
        this.watcher?.close();
      });
    } catch (err) {
      this.log.warn({ err }, 'cannot watch the plugin directory; polling only');
    }
  }

  /** Serves again if our socket went, and registers again if the kubelet's socket is new. */
  private reconcileSockets(): void {
    this.socketQueue = this.socketQueue
      .then(async () => {
        if (this.stopped) return;
        if ((await fileIdentity(this.socketPath)) !== this.servedIdentity) {
          this.log.info({ socket: this.socketPath }, 'plugin socket removed; serving again');
          await this.serve();
          this.registrar.forget();
          return;
        }
        const kubelet = await fileIdentity(join(this.config.pluginDir, KUBELET_SOCKET));
        if (kubelet && !this.registrar.knows(kubelet)) this.registrar.kick();
      })
      .catch((err: unknown) => this.log.error({ err }, 'serving the device plugin failed'));
  }

  private async serve(): Promise<void> {
    // The old server's socket is gone, and with it the kubelet's streams: no grace needed.
    this.server?.forceShutdown();
    this.server = undefined;
    // A socket left by an earlier process would make the bind fail with EADDRINUSE.
    await rm(this.socketPath, { force: true });
    const server = new grpc.Server();
    server.addService(devicePluginApi().DevicePlugin.service, this.service.implementation);
    await bind(server, unixAddress(this.socketPath));
    this.server = server;
    this.servedIdentity = await fileIdentity(this.socketPath);
  }

  private async shutdownServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private checkHealthNow(): Promise<void> {
    this.healthQueue = this.healthQueue
      .then(async () => {
        if (this.stopped) return;
        this.apply(
          await checkHealth({
            drainFile: join(this.config.pluginDir, DRAIN_FILE),
            diskPaths: this.config.diskPaths,
            ...(this.config.minFreeBytes !== undefined
              ? { minFreeBytes: this.config.minFreeBytes }
              : {}),
          }),
        );
      })
      .catch((err: unknown) => this.log.error({ err }, 'health check failed'));
    return this.healthQueue;
  }

  private apply(report: HealthReport): void {
    const reasons = report.reasons.join('; ');
    const changed = this.devices.setHealthy(report.healthy);
    if (!changed && reasons === this.lastReasons) return;
    const previous = this.lastReasons;
    this.lastReasons = reasons;
    if (report.healthy) {
      this.log.info({ health: 'Healthy', cleared: previous }, 'devices healthy again');
    } else {
      this.log.warn(
        { health: 'Unhealthy', reasons: report.reasons },
        'devices unhealthy: no new runner can land on this node',
      );
    }
  }
}
