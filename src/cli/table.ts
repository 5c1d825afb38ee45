import { utcSeconds } from '../util/text.js';
/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => r[i]));
  const text = (v: string | number | null | undefined) =>
    v === null || v === undefined ? '-' : String(v);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => text(r[i]).length)));
  const line = (r: (string | number | null | undefined)[], header = false) =>
    r
      .map((v, i) =>
        !header && typeof v === 'number'
          ? text(v).padStart(widths[i]!)
          : text(v).padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  if (rows.length === 0) return `${line(headers, true)}\n(none)\n`;
  return [line(headers, true), ...cells.map((r) => line(r))].join('\n') + '\n';
}

/** `2024-05-01 12:03:04Z`, or `-`. */
export const when = (d: Date | string | null | undefined): string => utcSeconds(d, '-');
