import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createPool, type Pool } from '../warehouse/db';

/** What a handler needs from the outside world; the Lambda runtime and the local runner each provide it. */
export interface HandlerDependencies {
  pool(): Promise<Pool>;
  s3(): S3Client;
  readonly landing: { readonly bucket: string; readonly prefix: string };
}

/** Reads a variable that must be set, with an error that names it. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
  return value;
}

interface DatabaseSecret {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
}

/** Secrets Manager is asked again after this long, so a rotated password is picked up by new connections. */
const SECRET_TTL_MS = 5 * 60_000;

/**
 * Dependencies inside AWS Lambda. The function gets only the secret's ARN; the secret is fetched on
 * first use and again when older than five minutes, so that connections opened after a rotation use
 * the new password, and it is never logged. One small pool per container, since an invocation runs
 * one step; its statements stop before the function's own timeout would strand them on the server.
 */
export function awsDependencies(): HandlerDependencies {
  let pool: Pool | undefined;
  let secret: { value: Promise<DatabaseSecret>; fetchedAt: number } | undefined;
  let s3: S3Client | undefined;
  const readSecret = (): Promise<DatabaseSecret> => {
    if (!secret || Date.now() - secret.fetchedAt > SECRET_TTL_MS) {
      const value = fetchDatabaseSecret(requireEnv('DATABASE_SECRET_ARN'));
      // A failed fetch is not kept: the next connection asks again.
      value.catch(() => (secret = undefined));
      secret = { value, fetchedAt: Date.now() };
    }
    return secret.value;
  };
  return {
    async pool() {
      if (pool) return pool;
      const { host, port, username, dbname } = await readSecret();
      const statementTimeoutMs = Number(process.env.STATEMENT_TIMEOUT_MS ?? 840_000);
      pool = createPool(
        {
          host,
          port,
          user: username,
          database: dbname,
          password: async () => (await readSecret()).password,
          // TLS with the server's certificate checked against the RDS CAs (NODE_EXTRA_CA_CERTS).
          ssl: { rejectUnauthorized: true },
        },
        3,
        {
          statement_timeout: `${statementTimeoutMs}ms`,
          lock_timeout: `${Math.min(statementTimeoutMs, 300_000)}ms`,
          // A frozen container never closes its idle connections; the server does.
          idle_session_timeout: '300s',
        },
      );
      return pool;
    },
    s3() {
      s3 ??= new S3Client({});
      return s3;
    },
    get landing() {
      return { bucket: requireEnv('LANDING_BUCKET'), prefix: process.env.LANDING_PREFIX ?? 'events/' };
    },
  };
}

async function fetchDatabaseSecret(secretArn: string): Promise<DatabaseSecret> {
  const client = new SecretsManagerClient({ requestHandler: { requestTimeout: 5_000 } });
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const fields = JSON.parse(result.SecretString ?? '{}') as Partial<Record<keyof DatabaseSecret, unknown>>;
  const missing = (['host', 'username', 'password'] as const).filter(
    (name) => typeof fields[name] !== 'string' || fields[name] === '',
  );
  if (missing.length > 0) {
    // Names only, never values.
    throw new Error(
      `Database secret ${secretArn} lacks ${missing.join(', ')}: it must hold host, port, username, password and dbname`,
    );
  }
  return {
    host: fields.host as string,
    port: Number(fields.port ?? 5432),
    username: fields.username as string,
    password: fields.password as string,
    dbname: typeof fields.dbname === 'string' && fields.dbname !== '' ? fields.dbname : 'postgres',
  };
}
