/**
 * The Device Plugin API v1beta1 (api.proto beside this file) loaded for @grpc/grpc-js, with the
 * message shapes as proto-loader hands them over (`keepCase`: the proto's own field names).
 * Shared by the agent's plugin and the simulator's kubelet side.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export const API_VERSION = 'v1beta1';
export const KUBELET_SOCKET = 'kubelet.sock';
export const HEALTHY = 'Healthy';
export const UNHEALTHY = 'Unhealthy';

export type Health = typeof HEALTHY | typeof UNHEALTHY;

export interface DevicePluginOptions {
  pre_start_required: boolean;
  get_preferred_allocation_available: boolean;
}

export interface RegisterRequest {
  version: string;
  endpoint: string;
  resource_name: string;
  options?: DevicePluginOptions | null;
}

export type Empty = Record<string, never>;

export interface Device {
  ID: string;
  health: string;
  topology?: { nodes: { ID: number }[] } | null;
}

export interface ListAndWatchResponse {
  devices: Device[];
}

export interface AllocateRequest {
  container_requests: { devices_ids: string[] }[];
}

export interface ContainerAllocateResponse {
  envs?: Record<string, string>;
  mounts?: { container_path: string; host_path: string; read_only: boolean }[];
  devices?: { container_path: string; host_path: string; permissions: string }[];
  annotations?: Record<string, string>;
  cdi_devices?: { name: string }[];
}

export interface AllocateResponse {
  container_responses: ContainerAllocateResponse[];
}

export interface PreferredAllocationRequest {
  container_requests: {
    available_deviceIDs: string[];
    must_include_deviceIDs: string[];
    allocation_size: number;
  }[];
}

export interface PreferredAllocationResponse {
  container_responses: { deviceIDs: string[] }[];
}

export interface PreStartContainerRequest {
  devices_ids: string[];
}

type Unary<Req, Res> = (
  request: Req,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

export interface RegistrationClient extends grpc.Client {
  Register: Unary<RegisterRequest, Empty>;
}

export interface DevicePluginClient extends grpc.Client {
  GetDevicePluginOptions: Unary<Empty, DevicePluginOptions>;
  ListAndWatch(request: Empty, options?: grpc.CallOptions): grpc.ClientReadableStream<unknown>;
  GetPreferredAllocation: Unary<PreferredAllocationRequest, PreferredAllocationResponse>;
  Allocate: Unary<AllocateRequest, AllocateResponse>;
  PreStartContainer: Unary<PreStartContainerRequest, Empty>;
}

type ClientConstructor<C> = (new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => C) & {
  service: grpc.ServiceDefinition;
};

export interface DevicePluginApi {
  Registration: ClientConstructor<RegistrationClient>;
  DevicePlugin: ClientConstructor<DevicePluginClient>;
}

let loaded: DevicePluginApi | undefined;

/** Parses api.proto once per process. */
export function devicePluginApi(): DevicePluginApi {
  if (loaded) return loaded;
  const file = fileURLToPath(new URL('./api.proto', import.meta.url));
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition).v1beta1 as unknown as DevicePluginApi;
  loaded = { Registration: pkg.Registration, DevicePlugin: pkg.DevicePlugin };
  return loaded;
}

/**
 * Options for a client that dials a socket which comes and goes (a restarting kubelet or
 * plugin). grpc-js shares connections per address across clients by default, so a new client
 * would inherit the old one's reconnect backoff (up to two minutes) after the socket went away.
 */
export const FRESH_CONNECTION: grpc.ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

/** A gRPC address for a Unix socket path. */
export const unixAddress = (path: string): string => `unix:${path}`;

/** Runs a unary call with a deadline, as a promise. */
export function callUnary<Req, Res>(
  method: Unary<Req, Res>,
  client: grpc.Client,
  request: Req,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, { deadline: Date.now() + timeoutMs }, (err, response) => {
      if (err) reject(err);
      else resolve(response as Res);
    });
  });
}
