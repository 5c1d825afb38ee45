/** The plugin's runner devices (`runner-0` … `runner-N-1`), all sharing the node's health. */
import { HEALTHY, UNHEALTHY, type Device } from '../proto/device-plugin.js';

export type DevicesListener = (devices: Device[]) => void;

export class DeviceList {
  private readonly ids: string[];
  private healthy = true;
  private readonly listeners = new Set<DevicesListener>();

  constructor(slots: number) {
    this.ids = Array.from({ length: slots }, (_, i) => `runner-${i}`);
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  list(): Device[] {
    const health = this.healthy ? HEALTHY : UNHEALTHY;
    return this.ids.map((ID) => ({ ID, health }));
  }

  /** Returns whether the health changed; listeners hear only changes. */
  setHealthy(healthy: boolean): boolean {
    if (healthy === this.healthy) return false;
    this.healthy = healthy;
    const devices = this.list();
    for (const listener of [...this.listeners]) listener(devices);
    return true;
  }

  subscribe(listener: DevicesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
