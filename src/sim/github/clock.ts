/** The simulator's notion of "now": real time plus an offset tests can move forward. */
export interface Clock {
  now(): number;
  /** Moves simulated time forward (expires tokens and JWTs without waiting). */
  advance(ms: number): void;
  /** GitHub's timestamp format: ISO 8601 without milliseconds. */
  iso(ms?: number): string;
}

export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  const now = (): number => base() + offset;
  return {
    now,
    advance(ms) {
      offset += ms;
    },
    iso(ms = now()) {
      return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    },
  };
}
