import { desc } from 'drizzle-orm';
import type { Db } from './client.js';
import { auditLog, type AuditRow, type NewAudit } from './schema/audit-log.js';

export const AUDIT_ACTIONS = [
  'drain',
  'undrain',
  'retry',
  'requeue',
  'login',
  'login_failed',
  'logout',
  'bull_board',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = Omit<NewAudit, 'id' | 'at' | 'action'> & { action: AuditAction };

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

/** The newest entries first. */
export async function listAudit(db: Db, limit: number): Promise<AuditRow[]> {
  return db.select().from(auditLog).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit);
}
