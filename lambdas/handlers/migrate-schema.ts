import { type PipelineLogins, provisionLogins } from '../warehouse/logins';
import { migrate } from '../warehouse/migrate';
import { type HandlerDependencies, requireEnv } from './dependencies';
import {
  type DeploymentEvent,
  type DeploymentResult,
  readLoginSecret,
  withDeploymentPool,
} from './provision-migrator';
import { lambdaHandler } from './telemetry';

export interface SchemaData {
  readonly applied: number;
  readonly logins: number;
}

/**
 * Runs during `cdk deploy` as the migration login (pipeline_migrate), after the bootstrap: applies the
 * migrations and the changed schema models (lambdas/warehouse/migrate.ts), then creates or updates the
 * loader, transformer, eraser and BI logins with the passwords of their secrets, as SCRAM verifiers, each
 * holding its one group role. The secrets are read first, so a broken one changes nothing. Deleting the
 * stack leaves the data and the logins alone.
 */
export function createMigrateSchemaHandler(
  deps: Pick<HandlerDependencies, 'pool'>,
  readLogins: () => Promise<PipelineLogins>,
) {
  return async (event: DeploymentEvent): Promise<DeploymentResult<SchemaData>> => {
    if (event.RequestType === 'Delete')
      return { PhysicalResourceId: event.PhysicalResourceId ?? 'warehouse-schema' };
    const logins = await readLogins();
    const pool = await deps.pool();
    const { applied } = await migrate(pool);
    const provisioned = await provisionLogins(pool, logins);
    return {
      PhysicalResourceId: 'warehouse-schema',
      Data: { applied: applied.length, logins: provisioned.length },
    };
  };
}

async function readLoginsFromSecrets(): Promise<PipelineLogins> {
  const [loader, transformer, eraser, reader] = await Promise.all(
    [
      'LOADER_LOGIN_SECRET_ARN',
      'TRANSFORMER_LOGIN_SECRET_ARN',
      'ERASER_LOGIN_SECRET_ARN',
      'BI_LOGIN_SECRET_ARN',
    ].map((name) => readLoginSecret(requireEnv(name))),
  );
  if (!loader || !transformer || !eraser || !reader) throw new Error('Could not read the login secrets');
  return { loader, transformer, eraser, reader };
}

export const handler = lambdaHandler((event: DeploymentEvent): Promise<DeploymentResult<SchemaData>> =>
  withDeploymentPool((deps) => createMigrateSchemaHandler(deps, readLoginsFromSecrets)(event)),
);
