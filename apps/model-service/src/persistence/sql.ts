import type { EntityManager, QueryResult } from 'typeorm';

/**
 * The rows of one statement run in a transaction. TypeORM's `manager.query` answers an UPDATE
 * with `[rows, count]` and a SELECT with `rows`; the structured result is the same for both.
 */
export async function rows<T>(
  manager: EntityManager,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const runner = manager.queryRunner;
  if (runner === undefined) throw new Error('rows() must run inside a transaction');
  const result: QueryResult = await runner.query(text, values, true);
  return result.records as T[];
}

/** Postgres unique-violation SQLSTATE. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION;
}
