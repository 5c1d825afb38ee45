import { STATUSES } from '../../db/schema/status.js';
import type { JobStatus } from '../../explain/explain.js';
import { loadHistory } from '../../explain/history.js';
import { loadJobReport } from '../../explain/job-report.js';
import { CommandError, UsageError, positiveInt, printJson, str, type Command } from '../command.js';
import { table, when } from '../table.js';

export function parseStatuses(text: string | undefined): JobStatus[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(STATUSES as readonly string[]).includes(s));
  if (bad !== undefined)
    throw new UsageError(`--status must be among ${STATUSES.join(', ')}, got "${bad}"`);
  return list as JobStatus[];
}

/** Recorded → started, or → now while pending. */
function waited(j: { createdAt: Date; startedAt: Date | null; status: JobStatus }, now: Date) {
  const end = j.startedAt ?? (j.status === 'pending' ? now : null);
  return end ? `${Math.max(0, Math.round((end.getTime() - j.createdAt.getTime()) / 1000))}s` : '-';
}

export const jobs: Command = {
  name: 'jobs',
  summary: 'recent jobs, pending first, then running, completed, failed; newest first',
  positionals: [0, 0],
  options: {
    status: { type: 'string', help: 'pending, running, completed, failed (comma-separated)' },
    entity: { type: 'string', help: 'entity name or id' },
    board: { type: 'string', help: 'board name' },
    limit: { type: 'string', help: 'at most this many (default 50, max 1000)' },
  },
  check({ values }) {
    if (values.limit !== undefined) positiveInt('--limit', str(values.limit), 1000);
    parseStatuses(str(values.status));
  },
  async run(ctx, { values, json, out }) {
    const now = ctx.now();
    const limit = values.limit === undefined ? 50 : positiveInt('--limit', str(values.limit), 1000);
    const { total, jobs: rows } = await loadHistory(ctx.db, {
      start: new Date(0),
      end: new Date(now.getTime() + 86_400_000),
      page: 1,
      perPage: limit,
      statuses: parseStatuses(str(values.status)),
      entity: str(values.entity),
      board: str(values.board),
    });
    if (json) return void printJson(out, { total, jobs: rows });
    out.write(
      table(
        ['JOB', 'STATUS', 'ENTITY', 'LABELS', 'BOARD', 'RUNNER', 'RECORDED', 'WAITED'],
        rows.map((j) => [
          j.jobId,
          j.status,
          j.entityName,
          j.labels.join(','),
          j.board,
          j.runnerName,
          when(j.createdAt),
          waited(j, now),
        ]),
      ),
    );
    if (total > rows.length) out.write(`(${rows.length} of ${total}; use --limit)\n`);
  },
};

export const job: Command = {
  name: 'job',
  args: 'JOB_ID',
  summary: "a job's timeline and, if it is pending, why it has no runner yet",
  positionals: [1, 1],
  check: ({ positionals }) => void positiveInt('JOB_ID', positionals[0]),
  async run(ctx, { positionals, json, out }) {
    const id = positiveInt('JOB_ID', positionals[0]);
    const report = await loadJobReport(
      { ...ctx, prefix: ctx.config.redisPrefix, provision: ctx.queues.provision },
      id,
      ctx.now(),
    );
    if (!report) throw new CommandError(`no job ${id} is recorded`);
    if (json) return void printJson(out, report);
    const j = report.job;
    out.write(
      `job ${j.jobId}  ${j.status}  ${j.entityName} ${j.repoFullName}${j.jobName ? ` — ${j.jobName}` : ''}\n`,
    );
    out.write(
      `labels ${j.labels.join(',')} → board ${j.board}${j.runnerName ? `, runner ${j.runnerName}` : ''}\n`,
    );
    if (j.htmlUrl) out.write(`${j.htmlUrl}\n`);
    out.write(`\n${report.explanation.summary}\n`);
    for (const r of report.explanation.reasons) {
      out.write(`  [${r.kind}] ${r.code}: ${r.message}\n`);
      if (r.hint) out.write(`      → ${r.hint}\n`);
    }
    out.write('\ntimeline\n');
    for (const t of report.timeline)
      out.write(`  ${when(t.at)}  ${t.what}${t.detail ? `  (${t.detail})` : ''}\n`);
    if (j.failureInfo) out.write(`\nfailure_info ${JSON.stringify(j.failureInfo)}\n`);
    if (report.attempts.length > 0) out.write('\nrunner attempts\n');
    for (const [i, a] of report.attempts.entries())
      out.write(`  ${i + 1}. ${a.at}  ${a.pod}  ${a.reason}\n`);
    for (const w of report.workers) {
      if (w.failureInfo)
        out.write(`\n${w.podName} failure_info ${JSON.stringify(w.failureInfo)}\n`);
    }
  },
};
