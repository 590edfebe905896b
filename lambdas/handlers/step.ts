import type { Pool } from '../warehouse/db';
import { recordStep } from '../warehouse/runs';
import { logger } from './telemetry';

/**
 * Errors worth retrying: the connection dropped, the server restarted, a serialization conflict, too
 * many connections, or a password rotated since the connection was configured (the retry's new
 * connection reads the secret again); and throttling or outages of the AWS APIs.
 */
const TRANSIENT_SQLSTATES = /^(08|57P0|40001|40P01|53300|28P01)/;
const TRANSIENT_AWS_ERRORS =
  /Throttling|TooManyRequests|ServiceUnavailable|InternalServiceError|TimeoutError/;

/**
 * A failure that a retry may fix, in the database or in an AWS API (throttling, an outage, a timeout):
 * the state machine's Retry matches it by this name.
 */
export class TransientError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'TransientError';
  }
}

/**
 * Runs a step's work, records it under the run (rows, duration, outcome) and names transient
 * failures so that the state machine's Retry can match them by error name.
 */
export async function runStep<T>(
  pool: Pool,
  runId: string,
  stepName: string,
  work: () => Promise<T>,
  rowsOf: (result: T) => number,
): Promise<T> {
  const started = Date.now();
  logger.info('step started', { step: stepName });
  try {
    const { result, rowCount } = await recordStep(pool, runId, stepName, async () => {
      const value = await work();
      return { rowCount: rowsOf(value), details: value, result: value };
    });
    logger.info('step succeeded', { step: stepName, rows: rowCount, durationMs: Date.now() - started });
    return result;
  } catch (error) {
    const failure = asStepError(error);
    logger.error('step failed', {
      step: stepName,
      error: failure.name,
      cause: failure.message,
      durationMs: Date.now() - started,
    });
    throw failure;
  }
}

export function asStepError(error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? '';
  if (
    TRANSIENT_SQLSTATES.test(code) ||
    TRANSIENT_AWS_ERRORS.test((error as Error).name ?? '') ||
    /Connection terminated|ECONNRESET|ECONNREFUSED|timeout expired/i.test(message)
  ) {
    return new TransientError(error as Error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Checks a handler's input at the boundary, with an error that says what was expected. */
export function expectString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`Input field "${field}" must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function expectInteger(input: Record<string, unknown>, field: string): number {
  const value = input[field];
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new TypeError(`Input field "${field}" must be an integer, got ${JSON.stringify(value)}`);
  return value;
}
