import { createPool, type Pool } from '../lambdas/warehouse/db';

/** Connections the dashboard reads through; the server admits as many requests at once. */
export const READER_POOL_SIZE = 4;

/** How long one statement of a served request may run; the server's pool is created with it. */
export const API_STATEMENT_TIMEOUT_SECONDS = 10;

export interface ReaderPoolOptions {
  /**
   * Longer than a served request may take: a report computes every month range in one statement.
   * @default 30
   */
  readonly statementTimeoutSeconds?: number;
}

/**
 * A pool that reads as analytics_reader, in read-only transactions, whoever the URL logs in as:
 * the dashboard can then see the analytics schema and the granted ops views, and change nothing.
 */
export function createReaderPool(url: string, options: ReaderPoolOptions = {}): Pool {
  return createPool(url, READER_POOL_SIZE, {
    role: 'analytics_reader',
    default_transaction_read_only: 'on',
    statement_timeout: `${options.statementTimeoutSeconds ?? 30}s`,
  });
}

/** Fails with a clear message when the login may not act as analytics_reader. */
export async function checkReaderPool(pool: Pool): Promise<void> {
  try {
    await pool.query('select 1');
  } catch (error) {
    const message = (error as Error).message;
    if (/role|permission/i.test(message)) {
      throw new Error(
        `The dashboard reads as the analytics_reader role, and this login may not use it (${message}). Grant it: "grant analytics_reader to <user>", or log in as a user that has it (bi_reader on AWS).`,
        { cause: error },
      );
    }
    throw error;
  }
}
