import type { Pool } from '../warehouse/db';
import { bootstrapMigrator, type Login } from '../warehouse/logins';
import { awsDependencies, type HandlerDependencies, requireEnv } from './dependencies';
import { SecretReader, secrets } from './secrets';
import { lambdaHandler } from './telemetry';

/** The CloudFormation custom-resource event, as far as the deployment's handlers read it. */
export interface DeploymentEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
}

export interface DeploymentResult<D> {
  readonly PhysicalResourceId: string;
  readonly Data?: D;
}

/**
 * The only function that reads the RDS master secret, during `cdk deploy`: it creates or updates the
 * migration login and hands it what the master owns in the pipeline's schemas (lambdas/warehouse/
 * logins.ts); everything else runs as that login. Deleting the stack leaves the login and the data.
 */
export function createProvisionMigratorHandler(
  deps: Pick<HandlerDependencies, 'pool'>,
  readMigrator: () => Promise<Login>,
) {
  return async (event: DeploymentEvent): Promise<DeploymentResult<{ handedOver: number }>> => {
    if (event.RequestType === 'Delete')
      return { PhysicalResourceId: event.PhysicalResourceId ?? 'pipeline-migrator' };
    const migrator = await readMigrator();
    const { handedOver } = await bootstrapMigrator(await deps.pool(), migrator);
    return { PhysicalResourceId: 'pipeline-migrator', Data: { handedOver } };
  };
}

/**
 * A login's secret (username and password, in the JSON the database stack writes). Its ARN and version
 * id seed the verifier's salt: the same secret sets the same verifier, a new value a new salt.
 */
export async function readLoginSecret(
  secretArn: string,
  reader: SecretReader = secrets,
): Promise<Required<Login>> {
  const { fields, arn, versionId } = await reader.current(secretArn);
  const { username, password } = fields;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '')
    // Names only, never values.
    throw new Error(`Login secret ${secretArn} lacks username or password`);
  return { username, password, saltSeed: `${arn}\n${versionId}` };
}

/**
 * Runs `work` with a pool of its own, closed afterwards: a deployment runs this once, and a password
 * it has just changed must not meet a connection or a secret cached from the one before.
 */
export async function withDeploymentPool<T>(
  work: (deps: Pick<HandlerDependencies, 'pool'>) => Promise<T>,
): Promise<T> {
  // A reader of its own, whose cache ends with the invocation.
  const aws = awsDependencies(new SecretReader());
  let pool: Promise<Pool> | undefined;
  try {
    return await work({ pool: () => (pool ??= aws.pool()) });
  } finally {
    await pool?.then(
      (opened) => opened.end(),
      () => undefined,
    );
  }
}

export const handler = lambdaHandler(
  (event: DeploymentEvent): Promise<DeploymentResult<{ handedOver: number }>> =>
    withDeploymentPool((deps) =>
      createProvisionMigratorHandler(deps, () => readLoginSecret(requireEnv('MIGRATOR_LOGIN_SECRET_ARN')))(
        event,
      ),
    ),
);
