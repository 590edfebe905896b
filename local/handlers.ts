import type { HandlerDependencies } from '../lambdas/handlers/dependencies';
import { createBuildModelHandler } from '../lambdas/handlers/build-model';
import { createCheckQualityHandler } from '../lambdas/handlers/check-quality';
import { createEraseRequestedHandler } from '../lambdas/handlers/erase-requested';
import { createFinishRunHandler } from '../lambdas/handlers/finish-run';
import { createListNewFilesHandler } from '../lambdas/handlers/list-new-files';
import { createLoadFileHandler } from '../lambdas/handlers/load-file';
import { createPublishHandler } from '../lambdas/handlers/publish';
import { createRefreshViewHandler } from '../lambdas/handlers/refresh-view';
import { createSetAsOfHandler } from '../lambdas/handlers/set-as-of';
import { createStageEventsHandler } from '../lambdas/handlers/stage-events';
import { createStartRunHandler } from '../lambdas/handlers/start-run';
import type { StepHandler } from '../lambdas/plan';

/**
 * The same handler code the Lambda functions run, bound to local dependencies. As in AWS, the two
 * loading steps may get a connection of their own (the saas_loader role), the erasure step another
 * (saas_eraser), and the others another (saas_transformer); given one, every step uses it.
 */
export function createLocalHandlers(
  deps: HandlerDependencies,
  loaderDeps: HandlerDependencies = deps,
  eraserDeps: HandlerDependencies = deps,
): Record<StepHandler, (input: never) => Promise<unknown>> {
  return {
    'start-run': createStartRunHandler(deps),
    'erase-requested': createEraseRequestedHandler(eraserDeps),
    'list-new-files': createListNewFilesHandler(loaderDeps),
    'load-file': createLoadFileHandler(loaderDeps),
    'stage-events': createStageEventsHandler(deps),
    'build-model': createBuildModelHandler(deps),
    'check-quality': createCheckQualityHandler(deps),
    'set-as-of': createSetAsOfHandler(deps),
    'refresh-view': createRefreshViewHandler(deps),
    publish: createPublishHandler(deps),
    'finish-run': createFinishRunHandler(deps),
  };
}
