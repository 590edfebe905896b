import type { HandlerDependencies } from '../../lambdas/handlers/dependencies';
import { createBuildModelHandler } from '../../lambdas/handlers/build-model';
import { createCheckQualityHandler } from '../../lambdas/handlers/check-quality';
import { createFinishRunHandler } from '../../lambdas/handlers/finish-run';
import { createListNewFilesHandler } from '../../lambdas/handlers/list-new-files';
import { createLoadFileHandler } from '../../lambdas/handlers/load-file';
import { createRefreshViewHandler } from '../../lambdas/handlers/refresh-view';
import { createSetAsOfHandler } from '../../lambdas/handlers/set-as-of';
import { createStageEventsHandler } from '../../lambdas/handlers/stage-events';
import { createStartRunHandler } from '../../lambdas/handlers/start-run';
import type { StepHandler } from '../pipeline/pipeline-state-machine';

/** The same handler code the Lambda functions run, bound to local dependencies. */
export function createLocalHandlers(
  deps: HandlerDependencies,
): Record<StepHandler, (input: never) => Promise<unknown>> {
  return {
    'start-run': createStartRunHandler(deps),
    'list-new-files': createListNewFilesHandler(deps),
    'load-file': createLoadFileHandler(deps),
    'stage-events': createStageEventsHandler(deps),
    'build-model': createBuildModelHandler(deps),
    'check-quality': createCheckQualityHandler(deps),
    'set-as-of': createSetAsOfHandler(deps),
    'refresh-view': createRefreshViewHandler(deps),
    'finish-run': createFinishRunHandler(deps),
  };
}
