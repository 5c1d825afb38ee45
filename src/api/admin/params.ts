import { STATUSES } from '../../db/schema/status.js';
import type { JobStatus } from '../../explain/explain.js';
import type { HistoryQuery } from '../../explain/history.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DAY = 86_400_000;
export const HISTORY_PARAMS = ['start', 'end', 'page', 'per_page', 'status', 'entity', 'board'];
export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 30;

/** `YYYY-MM-DD` (a real calendar day, UTC) or `-Nd` (N days before now). */
export function parseDay(text: string, edge: 'start' | 'end', now: Date): Date | undefined {
  const rel = /^-(\d{1,4})d$/.exec(text);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * DAY);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  // Date.UTC rolls 2024-02-31 over to March: a day that does not exist is refused.
  if (day.toISOString().slice(0, 10) !== text) return undefined;
  // An end day is included whole.
  return edge === 'end' ? new Date(day.getTime() + DAY) : day;
}

function single(query: Record<string, unknown>, name: string): Parsed<string | undefined> {
  const v = query[name];
  if (v === undefined) return { ok: true, value: undefined };
  if (typeof v !== 'string')
    return { ok: false, error: `parameter "${name}" is given more than once` };
  return { ok: true, value: v };
}

function integer(name: string, text: string, min: number, max: number): Parsed<number> {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    return { ok: false, error: `${name} must be an integer from ${min} to ${max}, got "${text}"` };
  }
  return { ok: true, value: Number(text) };
}

/** `/history` query parameters; every problem names the parameter, unknown ones included. */
export function parseHistoryParams(
  query: Record<string, unknown>,
  now: Date,
): Parsed<HistoryQuery> {
  for (const name of Object.keys(query)) {
    if (!HISTORY_PARAMS.includes(name)) {
      return {
        ok: false,
        error: `unknown parameter "${name}" (expected ${HISTORY_PARAMS.join(', ')})`,
      };
    }
  }
  const values: Record<string, string | undefined> = {};
  for (const name of HISTORY_PARAMS) {
    const v = single(query, name);
    if (!v.ok) return v;
    values[name] = v.value;
  }
  const edge = (name: 'start' | 'end', fallback: Date): Parsed<Date> => {
    const text = values[name];
    if (text === undefined) return { ok: true, value: fallback };
    const d = parseDay(text, name, now);
    return d
      ? { ok: true, value: d }
      : { ok: false, error: `${name} must be YYYY-MM-DD or -Nd (e.g. -7d), got "${text}"` };
  };
  const start = edge('start', new Date(now.getTime() - 7 * DAY));
  if (!start.ok) return start;
  const end = edge('end', now);
  if (!end.ok) return end;
  if (start.value > end.value) {
    return {
      ok: false,
      error: `start (${values.start ?? '-7d'}) is after end (${values.end ?? 'now'})`,
    };
  }
  const page =
    values.page === undefined
      ? { ok: true as const, value: 1 }
      : integer('page', values.page, 1, 1_000_000);
  if (!page.ok) return page;
  const perPage =
    values.per_page === undefined
      ? { ok: true as const, value: DEFAULT_PER_PAGE }
      : integer('per_page', values.per_page, 1, MAX_PER_PAGE);
  if (!perPage.ok) return perPage;
  let statuses: JobStatus[] | undefined;
  if (values.status !== undefined) {
    const list = values.status.split(',').map((s) => s.trim());
    const bad = list.find((s) => !(STATUSES as readonly string[]).includes(s));
    if (bad !== undefined) {
      return {
        ok: false,
        error: `status must be one or more of ${STATUSES.join(', ')} (comma-separated), got "${bad}"`,
      };
    }
    statuses = list as JobStatus[];
  }
  if (values.entity !== undefined && (values.entity.length === 0 || values.entity.length > 100)) {
    return { ok: false, error: 'entity must be an entity name or id of 1 to 100 characters' };
  }
  if (values.board !== undefined && !/^[A-Za-z0-9._-]{1,63}$/.test(values.board)) {
    return {
      ok: false,
      error: `board must be a board name (letters, digits, . _ -), got "${values.board}"`,
    };
  }
  return {
    ok: true,
    value: {
      start: start.value,
      end: end.value,
      page: page.value,
      perPage: perPage.value,
      ...(statuses ? { statuses } : {}),
      ...(values.entity !== undefined ? { entity: values.entity } : {}),
      ...(values.board !== undefined ? { board: values.board } : {}),
    },
  };
}

/** A job id in a path: a positive integer (GitHub job ids are int64, ours fit a double). */
export function parseJobId(text: string): Parsed<number> {
  if (!/^\d{1,16}$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    return { ok: false, error: `job id must be a positive integer, got "${text.slice(0, 40)}"` };
  }
  return { ok: true, value: Number(text) };
}

/**
 * GitHub-style pagination links: next and last before the last page, first and prev from page 2
 * on (the order GitHub uses). Other query parameters are kept.
 */
export function pageLinks(
  base: string,
  query: Record<string, string>,
  page: number,
  perPage: number,
  total: number,
): { rel: 'next' | 'last' | 'first' | 'prev'; href: string }[] {
  const last = Math.max(1, Math.ceil(total / perPage));
  const href = (p: number) =>
    `${base}?${new URLSearchParams({ ...query, page: String(p), per_page: String(perPage) }).toString()}`;
  const links: { rel: 'next' | 'last' | 'first' | 'prev'; href: string }[] = [];
  if (page < last)
    links.push({ rel: 'next', href: href(page + 1) }, { rel: 'last', href: href(last) });
  if (page > 1)
    links.push(
      { rel: 'first', href: href(1) },
      { rel: 'prev', href: href(Math.min(page - 1, last)) },
    );
  return links;
}

/** The `Link` header of those links, or undefined when everything fits on one page. */
export const linkHeader = (links: readonly { rel: string; href: string }[]): string | undefined =>
  links.length > 0 ? links.map((l) => `<${l.href}>; rel="${l.rel}"`).join(', ') : undefined;
