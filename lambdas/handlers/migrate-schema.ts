import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Pool } from '../warehouse/db';
import { migrate } from '../warehouse/migrate';
import { awsDependencies, type HandlerDependencies } from './dependencies';

/** The CloudFormation custom-resource event, as far as this handler reads it. */
export interface SchemaEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
}

export interface BiLogin {
  readonly username: string;
  readonly password: string;
}

/**
 * Creates or upgrades the warehouse schema during `cdk deploy`, and keeps the BI tools' login in
 * step with its own secret: it may log in and holds only the read-only analytics_reader role.
 * Deleting the stack leaves the data alone.
 */
export function createMigrateSchemaHandler(
  deps: HandlerDependencies,
  readBiLogin: () => Promise<BiLogin | undefined>,
) {
  return async (event: SchemaEvent): Promise<{ PhysicalResourceId: string; Data?: { applied: number } }> => {
    if (event.RequestType === 'Delete')
      return { PhysicalResourceId: event.PhysicalResourceId ?? 'warehouse-schema' };
    const pool = await deps.pool();
    const { applied } = await migrate(pool);
    const login = await readBiLogin();
    if (login) await ensureBiLogin(pool, login);
    return { PhysicalResourceId: 'warehouse-schema', Data: { applied: applied.length } };
  };
}

/**
 * The statements are built on the server with format(%I, %L) from bind parameters, so the password
 * never appears in SQL text here or in this function's logs.
 */
export async function ensureBiLogin(pool: Pool, login: BiLogin): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(login.username))
    throw new Error('The BI login name must be a plain lowercase identifier');
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ upsert: string; grant: string }>(
      `select
         case when exists (select 1 from pg_roles where rolname = $1)
           then format('alter role %I with login password %L', $1::text, $2::text)
           else format('create role %I with login password %L', $1::text, $2::text)
         end as upsert,
         format('grant analytics_reader to %I', $1::text) as grant`,
      [login.username, login.password],
    );
    const statements = rows[0];
    if (!statements) throw new Error('Could not build the BI login statements');
    await client.query(statements.upsert);
    await client.query(statements.grant);
  } finally {
    client.release();
  }
}

async function readBiLoginFromSecret(): Promise<BiLogin | undefined> {
  const arn = process.env.BI_LOGIN_SECRET_ARN;
  if (!arn) return undefined;
  const result = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  const fields = JSON.parse(result.SecretString ?? '{}') as Partial<BiLogin>;
  if (!fields.username || !fields.password)
    throw new Error(`BI login secret ${arn} lacks username or password`);
  return { username: fields.username, password: fields.password };
}

export const handler = createMigrateSchemaHandler(awsDependencies(), readBiLoginFromSecret);
