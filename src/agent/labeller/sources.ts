/**
 * Reading the node's own description: the device tree's `compatible` list and /proc/cpuinfo.
 * A missing, unreadable, empty or garbled file is a problem to report, never an exception.
 */
import { readFile } from 'node:fs/promises';

export type Reading<T> =
  { ok: true; path: string; value: T } | { ok: false; path: string; problem: string };

const code = (err: unknown) =>
  (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

/** The first of `paths` that exists (later ones are fallbacks), parsed by `parse`. */
export async function readFirst<T>(
  paths: readonly string[],
  parse: (bytes: Buffer) => T | string,
): Promise<Reading<T>> {
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if (code(err) === 'ENOENT') continue;
      return { ok: false, path, problem: `cannot read it: ${code(err)}` };
    }
    const parsed = parse(bytes);
    return typeof parsed === 'string'
      ? { ok: false, path, problem: parsed }
      : { ok: true, path, value: parsed };
  }
  return { ok: false, path: paths.join(', '), problem: 'no such file' };
}

// A compatible string is "vendor,model": printable ASCII, no spaces.
const compatibleEntry = /^[\x21-\x7e]{1,128}$/;

/** The NUL-separated `compatible` property, or what is wrong with it. */
export function parseCompatible(bytes: Buffer): string[] | string {
  const entries = bytes.toString('latin1').split('\0').filter(Boolean);
  if (entries.length === 0) return 'empty';
  if (bytes.length > 4096 || !entries.every((e) => compatibleEntry.test(e))) {
    return 'not a NUL-separated list of compatible strings';
  }
  return entries;
}

export interface CpuFacts {
  /** The single-letter part of the ISA string, e.g. rv64imafdcv; absent when unknown. */
  isa?: string;
  /** Whether every hart has the V (vector) extension; absent when unknown. */
  rvv?: boolean;
  harts?: number;
}

const isaLine = /^isa\s*:\s*(rv(?:32|64|128)[a-z]+)(?:[_\s].*)?$/i;
const processorLine = /^processor\s*:\s*\d+\s*$/;

/** What /proc/cpuinfo says of a RISC-V CPU, or what is wrong with the file. */
export function parseCpuinfo(bytes: Buffer): CpuFacts | string {
  if (bytes.length === 0) return 'empty';
  const text = bytes.toString('utf8');
  // Text with NULs or undecodable bytes is not cpuinfo.
  if (text.includes('\0') || text.includes('\uFFFD')) return 'not a cpuinfo text file';
  const lines = text.split('\n').map((l) => l.trim());
  const isas = lines.flatMap((l) => {
    const m = isaLine.exec(l);
    return m?.[1] ? [m[1].toLowerCase()] : [];
  });
  const harts = lines.filter((l) => processorLine.test(l)).length;
  if (isas.length === 0 && harts === 0) return 'no "processor" or RISC-V "isa" lines';
  const facts: CpuFacts = {};
  if (harts > 0) facts.harts = harts;
  const first = isas[0];
  if (first) {
    facts.isa = first;
    // The letters after rv64 are single-letter extensions; "v" is the ratified vector one.
    facts.rvv = isas.every((isa) => isa.replace(/^rv\d+/, '').includes('v'));
  }
  return facts;
}
