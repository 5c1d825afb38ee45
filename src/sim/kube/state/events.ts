/**
 * The event recorder of the scheduler and kubelet: a repeated event (same object, reason and
 * message) bumps `count` and `lastTimestamp` of the existing Event, as client-go's correlator does.
 */
import { timestamp } from './naming.js';
import type { KubeState } from './store.js';
import type { Event, KubeObject } from './types.js';

export interface EventInput {
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  component: 'kubelet' | 'default-scheduler' | 'node-controller' | 'pod-garbage-collector';
  host?: string;
  /** e.g. `spec.containers{runner}` for container events. */
  fieldPath?: string;
}

export class EventRecorder {
  private readonly seen = new Map<string, string>();
  private sequence = 0;

  constructor(private readonly state: KubeState) {}

  record(about: KubeObject, input: EventInput): Event {
    const namespace = about.metadata.namespace ?? 'default';
    const type = input.type ?? 'Normal';
    const key = [about.metadata.uid, input.fieldPath, input.reason, input.message, type].join('|');
    const now = timestamp();
    const existing = this.seen.get(key);
    if (existing) {
      const bumped = this.state.update('Event', namespace, existing, (draft) => {
        draft.count += 1;
        draft.lastTimestamp = now;
      });
      if (bumped) return bumped;
    }
    this.sequence += 1;
    const name = `${about.metadata.name}.${this.sequence.toString(16).padStart(16, '0')}`;
    this.seen.set(key, name);
    return this.state.create('Event', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: about.kind,
        apiVersion: about.apiVersion,
        name: about.metadata.name,
        uid: about.metadata.uid,
        resourceVersion: about.metadata.resourceVersion,
        ...(about.metadata.namespace ? { namespace: about.metadata.namespace } : {}),
        ...(input.fieldPath ? { fieldPath: input.fieldPath } : {}),
      },
      reason: input.reason,
      message: input.message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: input.component, ...(input.host ? { host: input.host } : {}) },
      reportingComponent: input.component,
      reportingInstance: input.host ?? '',
    });
  }
}
