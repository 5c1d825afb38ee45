/**
 * Image pulls as the kubelet reports them: Pulling / Pulled events, images cached per node
 * (IfNotPresent skips the pull), and a failing pull cycling ErrImagePull → ImagePullBackOff with a
 * doubling back-off while the pod stays Pending.
 */
import { boardFactor } from '../../startup.js';
import type { Container } from '../state/types.js';
import type { ContainerSlot, PodContext } from './pod-context.js';
import { setContainerState } from './pod-status.js';

/** The API server's default: Always for `:latest` or untagged images, IfNotPresent otherwise. */
export function pullPolicy(container: Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const lastPart = container.image.split('/').pop() ?? '';
  if (container.image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

/** Slower boards pull (download and unpack) slower. */
function pullMs(ctx: PodContext): number {
  const node = ctx.deps.state.get('Node', undefined, ctx.ref.nodeName);
  return ctx.timings.imagePullMs * boardFactor(ctx.timings.boardFactors, node?.metadata.labels);
}

function waiting(ctx: PodContext, slot: ContainerSlot, reason: string, message: string): void {
  ctx.write((draft) =>
    setContainerState(draft, slot.container.name, { waiting: { reason, message } }),
  );
}

export async function pullImage(ctx: PodContext, slot: ContainerSlot): Promise<void> {
  const { image } = slot.container;
  const policy = pullPolicy(slot.container);
  const fault = ctx.claim.imagePull;
  const failing = () => fault !== undefined && fault.failuresLeft > 0;
  if (policy !== 'Always' && ctx.images.has(image) && !failing()) {
    ctx.event(
      { reason: 'Pulled', message: `Container image "${image}" already present on machine` },
      slot,
    );
    return;
  }
  if (policy === 'Never') {
    const message = `Container image "${image}" is not present with pull policy of Never`;
    waiting(ctx, slot, 'ErrImageNeverPull', message);
    ctx.event({ reason: 'ErrImageNeverPull', message, type: 'Warning' }, slot);
    await ctx.never();
  }
  let backoff = ctx.timings.backoffMs;
  for (;;) {
    ctx.event({ reason: 'Pulling', message: `Pulling image "${image}"` }, slot);
    const started = performance.now();
    await ctx.sleep(pullMs(ctx));
    if (fault && failing()) {
      fault.failuresLeft -= 1;
      const error = `failed to pull and unpack image "${image}": ${fault.message}`;
      waiting(ctx, slot, 'ErrImagePull', error);
      ctx.event(
        { reason: 'Failed', message: `Failed to pull image "${image}": ${error}`, type: 'Warning' },
        slot,
      );
      ctx.event({ reason: 'Failed', message: 'Error: ErrImagePull', type: 'Warning' }, slot);
      await ctx.sleep(Math.min(ctx.timings.imagePullMs, backoff));
      waiting(
        ctx,
        slot,
        'ImagePullBackOff',
        `Back-off pulling image "${image}": ErrImagePull: ${error}`,
      );
      ctx.event({ reason: 'BackOff', message: `Back-off pulling image "${image}"` }, slot);
      ctx.event({ reason: 'Failed', message: 'Error: ImagePullBackOff', type: 'Warning' }, slot);
      await ctx.sleep(backoff);
      backoff = Math.min(backoff * 2, ctx.timings.backoffMaxMs);
      continue;
    }
    ctx.images.add(image);
    // Rounded up: a timer may fire up to a millisecond before its delay by Date.now's truncated
    // clock, and a pull of 80 ms must not read as 79.
    const took = `${Math.ceil(performance.now() - started)}ms`;
    ctx.event(
      {
        reason: 'Pulled',
        message: `Successfully pulled image "${image}" in ${took} (${took} including waiting)`,
      },
      slot,
    );
    return;
  }
}
