/**
 * Structural sharing between two versions of a stored object. An update mutates a full copy of
 * the object; most of it (spec, other containers, conditions) is unchanged, so those parts of the
 * copy are replaced by the previous version's, which are already frozen. That is cheaper than
 * comparing the two as JSON strings and freezing the whole copy again, and it keeps an unchanged
 * part the same object from version to version (a cache can compare `a.spec === b.spec`).
 *
 * "Unchanged" means the same JSON text, exactly as the store used to compare versions (key order
 * and all): fields holding undefined are ignored, non-finite numbers equal null, and anything
 * that is not plain JSON data is compared through JSON.stringify.
 */

type Json = Record<string, unknown>;

function isPlainObject(value: object): value is Json {
  const proto = Object.getPrototypeOf(value) as unknown;
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/** Whether JSON.stringify leaves the field out of an object. */
function hidden(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function sameText(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The visible keys of `a` and `b` come in the same order (so their JSON objects line up). */
function sameKeys(a: Json, b: Json): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < ka.length && hidden(a[ka[i] as string])) i += 1;
    while (j < kb.length && hidden(b[kb[j] as string])) j += 1;
    if (i === ka.length || j === kb.length) return i === ka.length && j === kb.length;
    if (ka[i] !== kb[j]) return false;
    i += 1;
    j += 1;
  }
}

function shareArray(next: unknown[], prev: unknown[]): unknown {
  // JSON turns holes and undefined items into null; leave such rare arrays to JSON itself.
  if (next.some(hidden) || prev.some(hidden)) return sameText(next, prev) ? prev : next;
  let same = next.length === prev.length;
  const writable = !Object.isFrozen(next);
  for (let i = 0; i < next.length; i += 1) {
    if (i >= prev.length) break;
    const shared = share(next[i], prev[i]);
    if (shared !== prev[i]) same = false;
    else if (writable && next[i] !== shared) next[i] = shared;
  }
  return same ? prev : next;
}

function shareObject(next: Json, prev: Json): unknown {
  let same = sameKeys(next, prev);
  const writable = !Object.isFrozen(next);
  for (const key of Object.keys(next)) {
    const value = next[key];
    if (hidden(value) || !Object.hasOwn(prev, key)) continue;
    const shared = share(value, prev[key]);
    if (shared !== prev[key]) same = false;
    else if (writable && value !== shared) next[key] = shared;
  }
  return same ? prev : next;
}

/**
 * Returns `prev` when `next` serialises to the same JSON; otherwise `next`, whose unchanged parts
 * (where it is not frozen) now are `prev`'s. `next` must be a fresh copy nobody else holds.
 */
export function share(next: unknown, prev: unknown): unknown {
  if (next === prev) return prev;
  if (typeof next !== 'object' || next === null || typeof prev !== 'object' || prev === null) {
    const numeric = typeof next === 'number' || typeof prev === 'number';
    return numeric && !hidden(next) && !hidden(prev) && sameText(next, prev) ? prev : next;
  }
  const arrays = Array.isArray(next);
  if (arrays !== Array.isArray(prev)) return next;
  if (arrays) return shareArray(next, prev as unknown[]);
  if (!isPlainObject(next) || !isPlainObject(prev)) return sameText(next, prev) ? prev : next;
  return shareObject(next, prev);
}
