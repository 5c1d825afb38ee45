/** Resource quantities ("500m", "4Gi", "1") and what a pod asks of a node. */
import type { Container, Node, PodSpec, ResourceList } from '../state/types.js';

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses a Kubernetes quantity; NaN when it is not one. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  const factor = m ? suffixes[m[2] ?? ''] : undefined;
  return m?.[1] !== undefined && factor !== undefined ? Number(m[1]) * factor : NaN;
}

export type Amounts = Record<string, number>;

function add(into: Amounts, more: Amounts): Amounts {
  const out = { ...into };
  for (const [name, amount] of Object.entries(more)) out[name] = (out[name] ?? 0) + amount;
  return out;
}

function max(a: Amounts, b: Amounts): Amounts {
  const out = { ...a };
  for (const [name, amount] of Object.entries(b)) out[name] = Math.max(out[name] ?? 0, amount);
  return out;
}

/** A container's requests; a resource with only a limit requests its limit (API defaulting). */
function containerRequests(container: Container): Amounts {
  const list: ResourceList = {
    ...(container.resources?.limits ?? {}),
    ...(container.resources?.requests ?? {}),
  };
  const out: Amounts = {};
  for (const [name, quantity] of Object.entries(list)) out[name] = parseQuantity(quantity);
  return out;
}

export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

/**
 * The pod's effective request: its containers and sidecars together, or the largest plain init
 * container (plus the sidecars started before it) if that is more (KEP-753 resource rules).
 */
export function podRequests(spec: PodSpec): Amounts {
  let sidecars: Amounts = {};
  let initPeak: Amounts = {};
  for (const init of spec.initContainers ?? []) {
    if (isSidecar(init)) sidecars = add(sidecars, containerRequests(init));
    else initPeak = max(initPeak, add(sidecars, containerRequests(init)));
  }
  const running = spec.containers.reduce<Amounts>(
    (sum, c) => add(sum, containerRequests(c)),
    sidecars,
  );
  return max(running, initPeak);
}

export function allocatable(node: Node): Amounts {
  const out: Amounts = {};
  for (const [name, quantity] of Object.entries(node.status.allocatable)) {
    out[name] = parseQuantity(quantity);
  }
  return out;
}

export function sumRequests(specs: readonly PodSpec[]): Amounts {
  return specs.reduce<Amounts>((sum, spec) => add(sum, podRequests(spec)), {});
}
