/** The labels the labeller owns, and their values for what this node says of itself. */
import { UNKNOWN, boardFor, toLabelValue } from './boards.js';
import type { CpuFacts, Reading } from './sources.js';

export const BOARD_LABEL = 'riseproject.dev/board';
export const RVV_LABEL = 'riseproject.dev/rvv';
export const ISA_LABEL = 'riseproject.dev/isa';
export const HARTS_LABEL = 'riseproject.dev/harts';

/** Every label this program writes; it never touches any other. */
export const OWNED_LABELS = [BOARD_LABEL, RVV_LABEL, ISA_LABEL, HARTS_LABEL] as const;

export type OwnedLabels = Record<(typeof OWNED_LABELS)[number], string>;

export function desiredLabels(input: {
  compatible: Reading<string[]>;
  cpu: Reading<CpuFacts>;
  boards: Readonly<Record<string, string>>;
}): OwnedLabels {
  const cpu = input.cpu.ok ? input.cpu.value : {};
  return {
    [BOARD_LABEL]: input.compatible.ok ? boardFor(input.compatible.value, input.boards) : UNKNOWN,
    [RVV_LABEL]: cpu.rvv === undefined ? UNKNOWN : String(cpu.rvv),
    [ISA_LABEL]: (cpu.isa && toLabelValue(cpu.isa)) || UNKNOWN,
    [HARTS_LABEL]: cpu.harts === undefined ? UNKNOWN : String(cpu.harts),
  };
}

/** The owned labels whose value on the node differs from `desired`: the merge patch's labels. */
export function labelChanges(
  current: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>>,
): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (current?.[key] !== value) changes[key] = value;
  }
  return changes;
}
