import { listAudit } from '../../db/audit.js';
import { positiveInt, printJson, str, type Command } from '../command.js';
import { table, when } from '../table.js';

export const audit: Command = {
  name: 'audit',
  summary: 'what operators did (drain, retry, requeue, logins, Bull Board writes), newest first',
  positionals: [0, 0],
  options: { limit: { type: 'string', help: 'how many entries (default 50, at most 1000)' } },
  check: ({ values }) => {
    if (values.limit !== undefined) positiveInt('--limit', str(values.limit), 1000);
  },
  async run(ctx, { values, json, out }) {
    const limit = values.limit === undefined ? 50 : positiveInt('--limit', str(values.limit), 1000);
    const rows = await listAudit(ctx.db, limit);
    if (json) return void printJson(out, { entries: rows });
    out.write(
      table(
        ['AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL'],
        rows.map((r) => [
          when(r.at),
          r.actor,
          r.action,
          r.target,
          r.detail ? JSON.stringify(r.detail) : null,
        ]),
      ),
    );
  },
};
