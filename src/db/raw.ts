import { sql, type Column, type SQL, type Table } from 'drizzle-orm';

/** What node-postgres returns for a column in raw SQL: int8 as a string (it may exceed 2^53). */
type RawValue<C extends Column> = C['_']['columnType'] extends 'PgBigInt53' | 'PgBigSerial53'
  ? string
  : C['_']['data'];

/**
 * A row of `T` as raw SQL (`client.query`) returns it: the SQL column names, bigints as strings,
 * nullable where the schema says so. Raw queries pick their columns from it with `Pick<>`, so
 * their row types come from the schema as the query builder's do.
 */
export type RawRow<T extends Table> = {
  [
    K in keyof T['_']['columns'] as T['_']['columns'][K]['_']['name']
  ]: T['_']['columns'][K]['_']['notNull'] extends true
    ? RawValue<T['_']['columns'][K]>
    : RawValue<T['_']['columns'][K]> | null;
};

/** `column = any($1::type[])`: one array parameter, however many values (`in (…)` takes one each). */
export const anyOf = (column: Column, values: readonly unknown[], type: 'text' | 'bigint'): SQL =>
  sql`${column} = any(${sql.param(values)}::${sql.raw(type)}[])`;
