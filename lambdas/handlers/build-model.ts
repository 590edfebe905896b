import { CORE_MODELS, type CoreModel, modelStepName, shardCountOf } from '../plan';
import { buildCoreModel, type ModelResult } from '../warehouse/core';
import { awsDependencies, type HandlerDependencies } from './dependencies';
import { expectInteger, expectString, runStep } from './step';
import { lambdaHandler } from './telemetry';

/** Rebuilds one core model (or one date shard of it) for the pending dates. */
export function createBuildModelHandler(deps: HandlerDependencies) {
  return async (input: {
    runId: string;
    model: string;
    shard?: number;
    shardCount?: number;
  }): Promise<ModelResult> => {
    const runId = expectString(input, 'runId');
    const model = expectString(input, 'model') as CoreModel;
    if (!CORE_MODELS.includes(model))
      throw new TypeError(`Unknown core model "${model}"; expected one of ${CORE_MODELS.join(', ')}`);
    const shardCount =
      input.shardCount === undefined ? shardCountOf(model) : expectInteger(input, 'shardCount');
    const shard = input.shard === undefined ? 0 : expectInteger(input, 'shard');
    const pool = await deps.pool();
    return runStep(
      pool,
      runId,
      modelStepName(model, shard, shardCount),
      () => buildCoreModel(pool, model, { shard, shardCount }),
      (result) => result.rows,
    );
  };
}

export const handler = lambdaHandler(createBuildModelHandler(awsDependencies()));
