import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import drizzleConfig from '../drizzle.config.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrate.js';
import * as schema from '../src/db/schema/index.js';
import { jobs, workers } from '../src/db/schema/index.js';
import { createTestDb, type TestDb } from './helpers/stores.js';

/**
 * Adding a column means the schema, a generated migration and the code that uses it. This holds
 * the first two in step: the migrations build exactly the schema's tables, and drizzle-kit finds
 * nothing left to generate. (The rows follow the schema through `$inferSelect` at compile time.)
 */

const tables = Object.values(schema as Record<string, unknown>).filter((v): v is PgTable =>
  is(v, PgTable),
);

// information_schema spells serial columns as their integer type.
const SQL_TYPE: Record<string, string> = { bigserial: 'bigint', serial: 'integer' };

const describeColumns = (t: PgTable) =>
  getTableConfig(t)
    .columns.map((c) => ({
      table: getTableConfig(t).name,
      column: c.name,
      type: SQL_TYPE[c.getSQLType()] ?? c.getSQLType(),
      nullable: !c.notNull,
    }))
    .sort((a, b) => a.column.localeCompare(b.column));

let store: TestDb;
beforeAll(async () => {
  store = await createTestDb({ max: 1 });
});
afterAll(async () => {
  await store.drop();
});

describe('schema and migrations', () => {
  it('the migrations create exactly the tables and columns of the drizzle schema', async () => {
    const { rows } = await store.db.$client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: 'YES' | 'NO';
    }>(
      `select table_name, column_name, data_type, is_nullable from information_schema.columns
       where table_schema = $1 and table_name <> '__drizzle_migrations'
       order by table_name, column_name`,
      [store.schema],
    );
    const migrated = rows.map((r) => ({
      table: r.table_name,
      column: r.column_name,
      type: r.data_type,
      nullable: r.is_nullable === 'YES',
    }));
    const declared = tables
      .map(describeColumns)
      .sort((a, b) => a[0]!.table.localeCompare(b[0]!.table))
      .flat();
    expect(tables.length).toBeGreaterThan(0);
    expect(migrated).toEqual(declared);
  });

  it('drizzle-kit generate finds no schema change without a migration', async () => {
    // Generated into a copy of the migrations, so a failing run leaves the repository alone.
    const out = await mkdtemp(join(tmpdir(), 'drizzle-sync-'));
    try {
      await cp(MIGRATIONS_FOLDER, out, { recursive: true });
      const before = (await readdir(out, { recursive: true })).sort();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          'node_modules/drizzle-kit/bin.cjs',
          'generate',
          `--dialect=${drizzleConfig.dialect}`,
          `--schema=${String(drizzleConfig.schema)}`,
          // drizzle-kit takes `out` relative to the working directory.
          `--out=${relative(process.cwd(), out)}`,
        ],
        { timeout: 20_000 },
      );
      expect(stdout).toContain('No schema changes');
      expect((await readdir(out, { recursive: true })).sort()).toEqual(before);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('raw SQL rows have the names and value kinds RawRow derives from the schema', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const facts = { entityId: 7, entityName: 'acme', entityType: 'Organization' as const };
    const pool = { installationId: 9, jobLabels: ['riscv'], k8sPool: 'b1', k8sImage: 'img' };
    await store.db.insert(jobs).values({
      jobId: 1,
      ...facts,
      ...pool,
      repoFullName: 'acme/app',
      htmlUrl: 'https://example.invalid/1',
      runId: 2,
      jobName: 'build',
      runnerName: 'w1',
      conclusion: 'success',
      failureInfo: { reason: 'x' },
      queuedAt: at,
      startedAt: at,
      completedAt: at,
      statusCheckedAt: at,
    });
    await store.db.insert(workers).values({
      podName: 'w1',
      ...facts,
      ...pool,
      repoFullName: 'acme/app',
      k8sNode: 'n1',
      failureInfo: { reason: 'x' },
      runnerId: 3,
      reservedForJobId: 1,
      podCreatedAt: at,
      runningAt: at,
      completedAt: at,
    });
    // What RawRow (src/db/raw.ts) says node-postgres returns for each kind of column.
    const kind: Record<string, string> = {
      PgBigInt53: 'string',
      PgText: 'string',
      PgInteger: 'number',
      PgTimestamp: 'Date',
      PgJsonb: 'object',
    };
    for (const table of [jobs, workers]) {
      const config = getTableConfig(table);
      const { rows } = await store.db.$client.query<Record<string, unknown>>(
        `select * from ${config.name}`,
      );
      const row = rows[0]!;
      expect(Object.keys(row).sort()).toEqual(config.columns.map((c) => c.name).sort());
      for (const c of config.columns) {
        const value = row[c.name];
        const got = value instanceof Date ? 'Date' : typeof value;
        expect({ column: `${config.name}.${c.name}`, kind: got }).toEqual({
          column: `${config.name}.${c.name}`,
          kind: kind[c.columnType] ?? c.columnType,
        });
      }
    }
  });
});
