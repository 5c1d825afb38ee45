/** Byte sizes as Kubernetes writes them (`10Gi`, `500M`, `1024`), for `--min-free-disk`. */
const factors: Record<string, number> = {
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

/** Bytes, or undefined when `text` is not a non-negative quantity. */
export function parseBytes(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(text.trim());
  const factor = m ? factors[m[2] ?? ''] : undefined;
  if (!m?.[1] || factor === undefined) return undefined;
  return Math.floor(Number(m[1]) * factor);
}

/** A short binary size for log lines: `3.2Gi`, `512Mi`, `900`. */
export function formatBytes(bytes: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const factor = factors[unit] ?? 1;
    if (bytes >= factor) return `${Number((bytes / factor).toFixed(1))}${unit}`;
  }
  return String(bytes);
}
