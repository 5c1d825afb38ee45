import { parse as parseYaml } from 'yaml';

/** One label set a job asks for, after expanding `${{ matrix.NAME }}`. */
export interface JobLabels {
  job: string;
  labels: string[];
}

type Json = unknown;
const MATRIX_REF = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/;

const isRecord = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every value a matrix variable takes: its list plus what `include` entries set. */
function matrixValues(job: Record<string, Json>, name: string, where: string): string[] {
  const matrix = isRecord(job.strategy) ? job.strategy.matrix : undefined;
  if (!isRecord(matrix)) throw new Error(`${where}: runs-on uses matrix.${name} but has no matrix`);
  const values: Json[] = Array.isArray(matrix[name]) ? [...(matrix[name] as Json[])] : [];
  if (Array.isArray(matrix.include)) {
    for (const entry of matrix.include)
      if (isRecord(entry) && name in entry) values.push(entry[name]);
  }
  if (values.length === 0 || !values.every((v) => typeof v === 'string')) {
    throw new Error(`${where}: matrix.${name} must list label strings`);
  }
  return [...new Set(values)];
}

function expand(job: Record<string, Json>, label: Json, where: string): string[] {
  if (typeof label !== 'string') throw new Error(`${where}: runs-on label is not a string`);
  const ref = MATRIX_REF.exec(label.trim());
  if (ref) return matrixValues(job, ref[1]!, where);
  if (label.includes('${{')) throw new Error(`${where}: cannot resolve runs-on ${label}`);
  return [label];
}

/** The label sets of every job of a workflow file's text. */
export function runsOnLabelSets(text: string, file: string): JobLabels[] {
  const doc = parseYaml(text) as Json;
  if (!isRecord(doc) || !isRecord(doc.jobs)) throw new Error(`${file}: no jobs`);
  const out: JobLabels[] = [];
  for (const [id, job] of Object.entries(doc.jobs)) {
    if (!isRecord(job) || job['runs-on'] === undefined) continue; // reusable-workflow call
    const where = `${file}: jobs.${id}`;
    let spec = job['runs-on'];
    if (isRecord(spec)) spec = spec.labels ?? [];
    const parts = (Array.isArray(spec) ? spec : [spec]).map((l) => expand(job, l, where));
    // Cartesian product: each matrix value is a label set of its own.
    let sets: string[][] = [[]];
    for (const choices of parts) sets = sets.flatMap((s) => choices.map((c) => [...s, c]));
    for (const labels of sets) out.push({ job: id, labels });
  }
  return out;
}
