/**
 * Pod faults, claimed when a pod is created: "the next N pods" (count alone) or "pods matching a
 * label selector" (optionally at most `count` of them). A claim sticks to the pod for its life.
 */
import { matchesLabels, parseLabelSelector, type LabelRequirement } from '../api/selectors.js';
import type { Pod } from '../state/types.js';

export interface PodMatch {
  /** How many pods the fault hits; default 1 without a selector, unlimited with one. */
  count?: number;
  labelSelector?: string;
}

export interface ImagePullFault extends PodMatch {
  /** Pulls that fail before one succeeds; default: every pull fails. */
  attempts?: number;
  message?: string;
}

export interface CrashFault extends PodMatch {
  /** How long the first container runs before it crashes. */
  afterMs?: number;
  exitCode?: number;
  /** Written to the container's log just before it exits. */
  logLine?: string;
  message?: string;
}

export interface PodFaultClaim {
  held: boolean;
  imagePull?: { failuresLeft: number; message: string };
  crash?: Required<Omit<CrashFault, keyof PodMatch>>;
}

interface Rule<T> {
  remaining: number;
  selector: LabelRequirement[];
  fault: T;
}

function rule<T extends PodMatch>(fault: T): Rule<T> {
  const unlimited = fault.labelSelector !== undefined && fault.count === undefined;
  return {
    remaining: unlimited ? Infinity : (fault.count ?? 1),
    selector: parseLabelSelector(fault.labelSelector),
    fault,
  };
}

function take<T>(rules: Rule<T>[], pod: Pod): T | undefined {
  const hit = rules.find((r) => r.remaining > 0 && matchesLabels(r.selector, pod.metadata.labels));
  if (!hit) return undefined;
  hit.remaining -= 1;
  return hit.fault;
}

export class PodFaults {
  private holds: Rule<PodMatch>[] = [];
  private pulls: Rule<ImagePullFault>[] = [];
  private crashes: Rule<CrashFault>[] = [];

  hold(match: PodMatch = {}): void {
    this.holds.push(rule(match));
  }

  imagePullError(fault: ImagePullFault = {}): void {
    this.pulls.push(rule(fault));
  }

  crash(fault: CrashFault = {}): void {
    this.crashes.push(rule(fault));
  }

  /** Forgets the rules not yet used up; pods that already claimed a fault keep it. */
  clear(): void {
    this.holds = [];
    this.pulls = [];
    this.crashes = [];
  }

  claim(pod: Pod): PodFaultClaim {
    const pull = take(this.pulls, pod);
    const crash = take(this.crashes, pod);
    return {
      held: take(this.holds, pod) !== undefined,
      ...(pull
        ? {
            imagePull: {
              failuresLeft: pull.attempts ?? Infinity,
              message: pull.message ?? 'failed to resolve reference: not found',
            },
          }
        : {}),
      ...(crash
        ? {
            crash: {
              afterMs: crash.afterMs ?? 10,
              exitCode: crash.exitCode ?? 1,
              logLine: crash.logLine ?? 'simulated crash: the process died',
              message: crash.message ?? '',
            },
          }
        : {}),
    };
  }
}
