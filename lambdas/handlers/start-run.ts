import { isCalendarDate } from '../warehouse/analytics';
import { assertSchemaCurrent } from '../warehouse/migrate';
import { startRun } from '../warehouse/runs';
import { checkTimeZone, configuredTimeZone, dateIn } from '../warehouse/time-zone';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { asStepError, expectString } from './step';
import { lambdaHandler } from './telemetry';

export interface StartRunInput {
  /** The execution's name ($$.Execution.Name): the run id, so a run and its execution share a name. */
  readonly executionName: string;
  /** ISO time the execution started ($$.Execution.StartTime). */
  readonly startedAt: string;
  /**
   * The execution's input: `asOf` a date, "yesterday" (of startedAt in the reporting time zone, for
   * the daily schedule) or
   * absent (the latest event date); `trigger` who started it; `ownerPid` the database session holding
   * the run slot, when a local process owns the run (holdRunSlot).
   */
  readonly input?: {
    readonly asOf?: string | null;
    readonly trigger?: string | null;
    readonly ownerPid?: number | null;
  } | null;
}

export interface RunInfo {
  readonly runId: string;
  readonly asOf: string | null;
}

/**
 * Checks that the schema is the one this code expects (the deployment migrates it; this role may
 * not) and records the run; fails at once if another run is running or the run id is taken.
 */
export function createStartRunHandler(deps: HandlerDependencies) {
  return async (input: StartRunInput): Promise<RunInfo> => {
    const runId = expectString(input as unknown as Record<string, unknown>, 'executionName');
    const startedAt = expectString(input as unknown as Record<string, unknown>, 'startedAt');
    const requested = input.input?.asOf ?? null;
    resolveAsOf(requested, startedAt);
    const ownerPid = input.input?.ownerPid ?? undefined;
    if (ownerPid !== undefined && !Number.isInteger(ownerPid))
      throw new TypeError(`ownerPid must be an integer, got ${JSON.stringify(ownerPid)}`);
    let asOf: string | null;
    try {
      const pool = await deps.pool();
      await assertSchemaCurrent(pool);
      // Before the run is recorded: a warehouse is never built in two zones.
      const zone = await checkTimeZone(pool, configuredTimeZone());
      asOf = resolveAsOf(requested, startedAt, zone);
      await startRun(pool, {
        runId,
        logicalDate: asOf ?? undefined,
        trigger: input.input?.trigger ?? 'manual',
        ownerPid,
        executionStartedAt: startedAt,
      });
    } catch (error) {
      throw asStepError(error);
    }
    return { runId, asOf };
  };
}

/** The as-of date asked for; "yesterday" is the day before startedAt's, in the reporting zone. */
export function resolveAsOf(asOf: string | null, startedAt: string, zone = 'UTC'): string | null {
  if (asOf === null || asOf === '') return null;
  if (asOf === 'yesterday') {
    const [year, month, day] = dateIn(zone, new Date(startedAt)).split('-').map(Number);
    return new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, (day ?? 1) - 1)).toISOString().slice(0, 10);
  }
  if (!isCalendarDate(asOf)) {
    throw new TypeError(`asOf must be a date like 2024-06-30 or "yesterday", got ${JSON.stringify(asOf)}`);
  }
  return asOf;
}

export const handler = lambdaHandler(createStartRunHandler(awsDependencies()));
