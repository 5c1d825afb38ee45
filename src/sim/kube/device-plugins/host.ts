/**
 * Device plugins for simulated nodes: a node that `serve`s one takes its `riseproject.com/runner`
 * capacity and allocatable from whatever plugin registers on its kubelet socket, instead of the
 * simulator's seeded slots, exactly as a real node gets them from its kubelet.
 */
import type { Logger } from 'pino';
import { notFound } from '../errors.js';
import { runnerResource } from '../nodes.js';
import type { KubeState } from '../state/store.js';
import { SimDeviceManager, type ResourceCount } from './device-manager.js';

export interface DevicePluginHostDeps {
  state: KubeState;
  logger: Logger;
}

export class DevicePluginHost {
  private readonly managers = new Map<string, SimDeviceManager>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: DevicePluginHostDeps) {
    // A node that leaves the cluster takes its kubelet with it.
    this.unsubscribe = deps.state.subscribe((change) => {
      if (change.kind === 'Node' && change.type === 'DELETED') {
        void this.stopNode(change.object.metadata.name);
      }
    });
  }

  /**
   * Serves `<dir>/kubelet.sock` for the node (an existing node). Until a plugin registers the
   * node offers no runner slots at all; the seeded ones are gone.
   */
  async serve(nodeName: string, dir: string): Promise<SimDeviceManager> {
    if (!this.deps.state.get('Node', undefined, nodeName)) throw notFound('nodes', nodeName);
    await this.stopNode(nodeName);
    this.setResource(nodeName, runnerResource, undefined);
    const manager = new SimDeviceManager({
      dir,
      logger: this.deps.logger.child({ node: nodeName }),
      onResource: (resource, count) => this.setResource(nodeName, resource, count),
    });
    await manager.start();
    this.managers.set(nodeName, manager);
    return manager;
  }

  manager(nodeName: string): SimDeviceManager | undefined {
    return this.managers.get(nodeName);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.managers.keys()].map((name) => this.stopNode(name)));
  }

  private async stopNode(nodeName: string): Promise<void> {
    const manager = this.managers.get(nodeName);
    if (!manager) return;
    this.managers.delete(nodeName);
    await manager.stop();
  }

  /** The kubelet's node status update; `undefined` removes the resource. */
  private setResource(nodeName: string, resource: string, count: ResourceCount | undefined): void {
    this.deps.state.update('Node', undefined, nodeName, (draft) => {
      if (count) {
        draft.status.capacity[resource] = String(count.capacity);
        draft.status.allocatable[resource] = String(count.allocatable);
      } else {
        delete draft.status.capacity[resource];
        delete draft.status.allocatable[resource];
      }
    });
  }
}
