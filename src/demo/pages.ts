import { randomBytes } from 'node:crypto';
import { ADMIN_TOKEN_MIN } from '../config/env.js';

/** A bad setting given to the demo: the message is one line naming it. */
export class DemoInputError extends Error {
  override name = 'DemoInputError';
}

export interface AdminToken {
  token: string;
  /** Made up for this run (so printing it gives nothing away) rather than the operator's own. */
  generated: boolean;
}

/** ADMIN_TOKEN from the environment, or a random one for this run (32 characters). */
export function demoAdminToken(fromEnv: string | undefined): AdminToken {
  const token = fromEnv?.trim();
  if (!token) return { token: randomBytes(24).toString('base64url'), generated: true };
  if (token.length < ADMIN_TOKEN_MIN) {
    throw new DemoInputError(
      `ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN} characters (or unset it: the demo makes one)`,
    );
  }
  return { token, generated: false };
}

/** The operator pages of the running demo and how to log in to them. */
export function operatorPages(o: { baseUrl: string; admin: AdminToken; jobId: number }): string[] {
  const shown = o.admin.generated ? o.admin.token : '$ADMIN_TOKEN';
  const pages: [string, string][] = [
    ['/usage', 'boards, pools and entities: what runs and what waits'],
    ['/history', 'every job, with its queue time and outcome'],
    [`/jobs/${o.jobId}`, 'one job: its timeline, and why it waits'],
    ['/admin/queues', 'Bull Board: the BullMQ queues'],
  ];
  const width = Math.max(...pages.map(([path]) => path.length)) + 3;
  return [
    `operator pages (log in at ${o.baseUrl}/login with the admin token):`,
    ...pages.map(
      ([path, what]) => `  ${`${o.baseUrl}${path}`.padEnd(o.baseUrl.length + width)}${what}`,
    ),
    o.admin.generated
      ? `  admin token: ${shown} (made for this run; set ADMIN_TOKEN to choose one)`
      : '  admin token: your ADMIN_TOKEN, from the environment',
    `  without a browser: curl -H "Authorization: Bearer ${shown}" ${o.baseUrl}/usage.json`,
  ];
}
