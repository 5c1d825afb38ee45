/**
 * Device-tree `compatible` strings to board names (the `riseproject.dev/board` label). The
 * defaults are the original labeller's; `--boards FILE` (a YAML map) adds or overrides entries.
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_BOARDS: Readonly<Record<string, string>> = {
  'scaleway,em-rv1-c4m16s128-a': 'scw-em-rv1',
  'sophgo,mango': 'cloudv10x-pioneer',
  'spacemit,k1-x': 'cloudv10x-jupiter',
};

export const UNKNOWN = 'unknown';

const labelValue = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;

export function isLabelValue(value: string): boolean {
  return labelValue.test(value);
}

/**
 * `text` made into a valid label value (at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric
 * at both ends): `starfive,visionfive-2` → `starfive-visionfive-2`. Undefined if nothing is left.
 */
export function toLabelValue(text: string): string | undefined {
  const trim = (s: string) => s.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  const value = trim(trim(text.replace(/[^A-Za-z0-9._-]+/g, '-')).slice(0, 63));
  return value === '' ? undefined : value;
}

export class BoardsFileError extends Error {
  override name = 'BoardsFileError';
}

/**
 * The defaults with the file's entries on top. Throws BoardsFileError with one line. The YAML
 * parser is loaded only for a file: most nodes need none, and every resident MB counts here.
 */
export async function loadBoards(file?: string): Promise<Record<string, string>> {
  if (!file) return { ...DEFAULT_BOARDS };
  let doc: unknown;
  try {
    const { parse } = await import('yaml');
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new BoardsFileError(`--boards ${file}: ${message}`);
  }
  if (doc === null || doc === undefined) return { ...DEFAULT_BOARDS };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new BoardsFileError(`--boards ${file}: expected a map of compatible string to board`);
  }
  const boards: Record<string, string> = { ...DEFAULT_BOARDS };
  for (const [compatible, board] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof board !== 'string' || !isLabelValue(board)) {
      throw new BoardsFileError(
        `--boards ${file}: "${compatible}": the board must be a label value (letters, digits, ".", "_", "-"; at most 63)`,
      );
    }
    boards[compatible] = board;
  }
  return boards;
}

/** The board of the first known entry, else the first entry as a label value. */
export function boardFor(compatible: readonly string[], boards: Readonly<Record<string, string>>) {
  for (const entry of compatible) {
    const board = boards[entry];
    if (board) return board;
  }
  return (compatible[0] && toLabelValue(compatible[0])) || UNKNOWN;
}
