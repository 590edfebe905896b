import { S3Client } from '@aws-sdk/client-s3';
import { createPool, type Pool } from '../warehouse/db';
import { type SecretReader, secrets } from './secrets';
import { LANDING_PREFIXES } from '../warehouse/source-format';

/** What a handler needs from the outside world; the Lambda runtime and the local runner each provide it. */
export interface HandlerDependencies {
  pool(): Promise<Pool>;
  s3(): S3Client;
  /** The bucket, and the key prefixes listed in it (LANDING_PREFIXES). */
  readonly landing: { readonly bucket: string; readonly prefixes: readonly string[] };
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

/**
 * Dependencies inside AWS Lambda. The function gets only the secret's ARN; the secret is read on
 * first use and again once older than five minutes (SecretReader), so that connections opened after
 * a rotation use the new password, and it is never logged. One small pool per container, since an
 * invocation runs one step; its statements stop before the function's own timeout would strand them
 * on the server.
 */
export function awsDependencies(reader: SecretReader = secrets): HandlerDependencies {
  let pool: Pool | undefined;
  let s3: S3Client | undefined;
  const readSecret = () => readDatabaseSecret(reader, requireEnv('DATABASE_SECRET_ARN'));
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
      const prefixes = process.env.LANDING_PREFIXES?.split(',').filter((prefix) => prefix !== '');
      return { bucket: requireEnv('LANDING_BUCKET'), prefixes: prefixes ?? LANDING_PREFIXES };
    },
  };
}

/** The database login a secret holds (JSON host, port, username, password, dbname), checked. */
export async function readDatabaseSecret(reader: SecretReader, secretArn: string): Promise<DatabaseSecret> {
  const fields = await reader.json(secretArn);
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
