import { createPool, type Pool } from '../../lambdas/warehouse/db';

/**
 * A pool that reads as analytics_reader, in read-only transactions, whoever the URL logs in as:
 * the dashboard can then see core, analytics and the granted ops views, and change nothing.
 */
export function createReaderPool(url: string): Pool {
  return createPool(url, 4, {
    role: 'analytics_reader',
    default_transaction_read_only: 'on',
    statement_timeout: '30s',
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
