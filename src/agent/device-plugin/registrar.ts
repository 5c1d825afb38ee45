/**
 * Registration with the kubelet: `Register` on DIR/kubelet.sock, retried with backoff while the
 * kubelet is not there (logged once per outage), and again whenever the kubelet's socket is a
 * new one (a kubelet restart forgets every plugin).
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../logger.js';
import {
  callUnary,
  FRESH_CONNECTION,
  devicePluginApi,
  unixAddress,
  type RegisterRequest,
} from '../proto/device-plugin.js';
import { fileIdentity } from './socket-files.js';

export interface RegistrarOptions {
  kubeletSocket: string;
  request: RegisterRequest;
  log: Logger;
  timeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Registrar {
  /** The kubelet socket (by file identity) the last successful registration went to. */
  private registeredWith: string | undefined;
  /** The kubelet socket the attempt in flight is talking to. */
  private inFlight: string | undefined;
  private failures = 0;
  private warned = false;
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RegistrarOptions) {}

  /** Whether the kubelet socket `identity` has (or is being given) our registration. */
  knows(identity: string): boolean {
    return identity === this.registeredWith || (this.running && identity === this.inFlight);
  }

  /** Registers now (or right after the attempt in flight), whatever the backoff says. */
  kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.run();
  }

  /** Our socket is new, so the kubelet must hear from us again even if its socket is not. */
  forget(): void {
    this.registeredWith = undefined;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One attempt at a time; a request during one runs right after it. */
  private run(): void {
    if (this.running) this.again = true;
    else void this.attempt();
  }

  private async attempt(): Promise<void> {
    this.running = true;
    const { log, kubeletSocket } = this.options;
    try {
      const identity = await fileIdentity(kubeletSocket);
      if (!identity) throw new Error(`${kubeletSocket} does not exist`);
      this.inFlight = identity;
      await this.register();
      this.registeredWith = identity;
      this.failures = 0;
      this.warned = false;
      log.info(
        { socket: kubeletSocket, resource: this.options.request.resource_name },
        'registered with the kubelet',
      );
    } catch (err) {
      this.failures += 1;
      if (!this.warned) {
        this.warned = true;
        log.warn(
          { socket: kubeletSocket, reason: err instanceof Error ? err.message : String(err) },
          'kubelet not reachable; retrying with backoff until it is',
        );
      }
      this.schedule();
    } finally {
      this.running = false;
      this.inFlight = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        clearTimeout(this.timer);
        void this.attempt();
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const initial = this.options.initialBackoffMs ?? 250;
    const delay = Math.min(initial * 2 ** (this.failures - 1), this.options.maxBackoffMs ?? 5_000);
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref();
  }

  private async register(): Promise<void> {
    const { Registration } = devicePluginApi();
    const client = new Registration(
      unixAddress(this.options.kubeletSocket),
      grpc.credentials.createInsecure(),
      FRESH_CONNECTION,
    );
    try {
      await callUnary(
        client.Register,
        client,
        this.options.request,
        this.options.timeoutMs ?? 5_000,
      );
    } finally {
      client.close();
    }
  }
}
