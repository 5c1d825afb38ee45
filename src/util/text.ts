/** A value from a JSON column as one line of text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `2024-05-01 12:03:04Z` (ISO, readable, still UTC), or `empty` when there is no date. */
export const utcSeconds = (d: Date | string | null | undefined, empty: string): string =>
  d
    ? new Date(d)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : empty;
