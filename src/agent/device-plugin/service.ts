/**
 * The DevicePlugin gRPC service: N runner devices, their health streamed to the kubelet, and
 * allocations that need nothing from the node (a runner slot is a scheduling token, not
 * hardware), answered as the API defines.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../logger.js';
import type {
  AllocateRequest,
  AllocateResponse,
  Device,
  DevicePluginOptions,
  Empty,
  ListAndWatchResponse,
  PreferredAllocationRequest,
  PreferredAllocationResponse,
  PreStartContainerRequest,
} from '../proto/device-plugin.js';
import type { DeviceList } from './devices.js';

export const PLUGIN_OPTIONS: DevicePluginOptions = {
  pre_start_required: false,
  get_preferred_allocation_available: false,
};

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

function invalid(message: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.INVALID_ARGUMENT, details: message };
}

/** Picks `size` devices: the required ones first, then the available ones in order. */
export function preferredAllocation(
  request: PreferredAllocationRequest,
): PreferredAllocationResponse {
  return {
    container_responses: request.container_requests.map((c) => {
      const chosen = [...new Set([...c.must_include_deviceIDs, ...c.available_deviceIDs])];
      return { deviceIDs: chosen.slice(0, Math.max(c.allocation_size, 0)) };
    }),
  };
}

export interface PluginService {
  implementation: grpc.UntypedServiceImplementation;
  /** Ends every open ListAndWatch stream (the kubelet sees the plugin go). */
  endStreams(): void;
}

export function createPluginService(devices: DeviceList, log: Logger): PluginService {
  const streams = new Set<grpc.ServerWritableStream<Empty, ListAndWatchResponse>>();
  const unknownIds = (ids: readonly string[]) => ids.filter((id) => !devices.has(id));

  const getDevicePluginOptions: Unary<Empty, DevicePluginOptions> = (_call, done) =>
    done(null, PLUGIN_OPTIONS);

  const listAndWatch: grpc.handleServerStreamingCall<Empty, ListAndWatchResponse> = (call) => {
    streams.add(call);
    const send = (list: Device[]) => call.write({ devices: list });
    const unsubscribe = devices.subscribe(send);
    const forget = () => {
      unsubscribe();
      streams.delete(call);
    };
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    log.info({ devices: devices.list().length }, 'kubelet is watching the devices');
    send(devices.list());
  };

  const allocate: Unary<AllocateRequest, AllocateResponse> = (call, done) => {
    const requests = call.request.container_requests;
    const unknown = unknownIds(requests.flatMap((r) => r.devices_ids));
    if (unknown.length > 0) return done(invalid(`unknown devices: ${unknown.join(', ')}`), null);
    log.info({ containers: requests.map((r) => r.devices_ids) }, 'allocated runner slots');
    done(null, { container_responses: requests.map(() => ({})) });
  };

  const getPreferredAllocation: Unary<PreferredAllocationRequest, PreferredAllocationResponse> = (
    call,
    done,
  ) => done(null, preferredAllocation(call.request));

  const preStartContainer: Unary<PreStartContainerRequest, Empty> = (call, done) => {
    const unknown = unknownIds(call.request.devices_ids);
    if (unknown.length > 0) return done(invalid(`unknown devices: ${unknown.join(', ')}`), null);
    done(null, {});
  };

  return {
    implementation: {
      GetDevicePluginOptions: getDevicePluginOptions,
      ListAndWatch: listAndWatch,
      Allocate: allocate,
      GetPreferredAllocation: getPreferredAllocation,
      PreStartContainer: preStartContainer,
    },
    endStreams() {
      for (const call of streams) call.end();
      streams.clear();
    },
  };
}
