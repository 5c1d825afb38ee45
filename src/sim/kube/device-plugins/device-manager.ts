/**
 * The kubelet side of the Device Plugin API v1beta1 for one simulated node, over real Unix
 * sockets: a `Registration` server on DIR/kubelet.sock that, as the kubelet's device manager
 * does, checks the request, dials the plugin's endpoint back before answering, and follows its
 * `ListAndWatch` stream. Each device list becomes the resource's capacity (all devices) and
 * allocatable (healthy ones); a lost stream leaves allocatable at 0.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdir, readdir, rm, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  API_VERSION,
  FRESH_CONNECTION,
  HEALTHY,
  KUBELET_SOCKET,
  callUnary,
  devicePluginApi,
  unixAddress,
  type AllocateResponse,
  type Device,
  type DevicePluginClient,
  type DevicePluginOptions,
  type Empty,
  type ListAndWatchResponse,
  type RegisterRequest,
} from '../../../agent/proto/device-plugin.js';

export interface ResourceCount {
  capacity: number;
  allocatable: number;
}

export interface DeviceManagerOptions {
  /** The node's device-plugin directory (the kubelet's /var/lib/kubelet/device-plugins). */
  dir: string;
  logger: Logger;
  /** Called with every change of a resource's device counts. */
  onResource?: (resource: string, count: ResourceCount) => void;
  dialTimeoutMs?: number;
}

interface Endpoint {
  request: RegisterRequest;
  client: DevicePluginClient;
  stream: grpc.ClientReadableStream<unknown>;
  options: DevicePluginOptions;
  devices: Device[];
  connected: boolean;
}

// What v1helper.IsExtendedResourceName accepts: a qualified name outside kubernetes.io.
const extendedName =
  /^(?!(?:[^/]*\.)?kubernetes\.io\/)[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function bind(server: grpc.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

/** A refused registration, answered with its gRPC status. */
class Refused extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const asStatus = (err: unknown): Partial<grpc.StatusObject> =>
  err instanceof Refused
    ? { code: err.code, details: err.message }
    : { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };

export class SimDeviceManager {
  readonly socketPath: string;
  /** Every registration request accepted, oldest first. */
  readonly registrations: { request: RegisterRequest; at: number }[] = [];
  private readonly endpoints = new Map<string, Endpoint>();
  private server: grpc.Server | undefined;

  constructor(private readonly options: DeviceManagerOptions) {
    this.socketPath = join(options.dir, KUBELET_SOCKET);
  }

  /** Starts as the kubelet does: clears the directory's sockets, then serves kubelet.sock. */
  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    await this.removeSockets();
    const server = new grpc.Server();
    server.addService(devicePluginApi().Registration.service, {
      Register: (
        call: grpc.ServerUnaryCall<RegisterRequest, Empty>,
        done: grpc.sendUnaryData<Empty>,
      ) =>
        void this.register(call.request).then(
          () => done(null, {}),
          (err: unknown) => done(asStatus(err), null),
        ),
    });
    await bind(server, unixAddress(this.socketPath));
    this.server = server;
  }

  /** A kubelet restart: every plugin connection is dropped and kubelet.sock is a new file. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    for (const resource of [...this.endpoints.keys()]) this.disconnect(resource);
    this.server?.forceShutdown();
    this.server = undefined;
    await rm(this.socketPath, { force: true });
  }

  /** The resource's last device list from its plugin, if one registered. */
  devices(resource: string): Device[] | undefined {
    return this.endpoints.get(resource)?.devices;
  }

  count(resource: string): ResourceCount | undefined {
    const endpoint = this.endpoints.get(resource);
    if (!endpoint) return undefined;
    return {
      capacity: endpoint.devices.length,
      allocatable: endpoint.connected
        ? endpoint.devices.filter((d) => d.health === HEALTHY).length
        : 0,
    };
  }

  /** The kubelet's Allocate call when it admits a container asking for `deviceIds`. */
  allocate(resource: string, deviceIds: string[]): Promise<AllocateResponse> {
    const endpoint = this.endpoints.get(resource);
    if (!endpoint?.connected) {
      return Promise.reject(new Error(`no device plugin connected for ${resource}`));
    }
    const { client } = endpoint;
    return callUnary(
      client.Allocate,
      client,
      { container_requests: [{ devices_ids: deviceIds }] },
      this.options.dialTimeoutMs ?? 5_000,
    );
  }

  private async register(request: RegisterRequest): Promise<void> {
    if (request.version !== API_VERSION) {
      throw new Refused(
        grpc.status.INVALID_ARGUMENT,
        `Requested device plugin version "${request.version}" is not supported; supported: ${API_VERSION}`,
      );
    }
    if (!extendedName.test(request.resource_name)) {
      throw new Refused(
        grpc.status.INVALID_ARGUMENT,
        `the ResourceName "${request.resource_name}" is invalid`,
      );
    }
    const { DevicePlugin } = devicePluginApi();
    const client = new DevicePlugin(
      unixAddress(join(this.options.dir, request.endpoint)),
      grpc.credentials.createInsecure(),
      FRESH_CONNECTION,
    );
    let options: DevicePluginOptions;
    try {
      options = await callUnary(
        client.GetDevicePluginOptions,
        client,
        {},
        this.options.dialTimeoutMs ?? 5_000,
      );
    } catch (err) {
      client.close();
      throw new Refused(
        grpc.status.UNAVAILABLE,
        `failed to dial device plugin: ${(err as Error).message}`,
      );
    }
    // A plugin registering again replaces its earlier endpoint.
    this.disconnect(request.resource_name);
    this.registrations.push({ request, at: Date.now() });
    const endpoint: Endpoint = {
      request,
      client,
      options,
      stream: client.ListAndWatch({}),
      devices: [],
      connected: true,
    };
    this.endpoints.set(request.resource_name, endpoint);
    this.follow(endpoint);
  }

  private follow(endpoint: Endpoint): void {
    const resource = endpoint.request.resource_name;
    const current = () => this.endpoints.get(resource) === endpoint;
    endpoint.stream.on('data', (message: ListAndWatchResponse) => {
      if (!current()) return;
      endpoint.devices = message.devices;
      this.publish(resource);
    });
    const lost = (reason: string) => {
      if (!current() || !endpoint.connected) return;
      endpoint.connected = false;
      this.options.logger.warn({ resource, reason }, 'device plugin stream ended');
      this.publish(resource);
    };
    endpoint.stream.on('error', (err: Error) => lost(err.message));
    endpoint.stream.on('end', () => lost('stream ended'));
  }

  private publish(resource: string): void {
    const count = this.count(resource);
    if (count) this.options.onResource?.(resource, count);
  }

  private disconnect(resource: string): void {
    const endpoint = this.endpoints.get(resource);
    if (!endpoint) return;
    endpoint.connected = false;
    endpoint.stream.cancel();
    endpoint.client.close();
    this.publish(resource);
    this.endpoints.delete(resource);
  }

  /** Sockets only: current kubelets leave other files (a checkpoint, a drain marker) alone. */
  private async removeSockets(): Promise<void> {
    for (const name of await readdir(this.options.dir)) {
      const path = join(this.options.dir, name);
      const stat = await lstat(path).catch(() => undefined);
      if (stat?.isSocket()) await rm(path, { force: true });
    }
  }
}
