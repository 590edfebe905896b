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
  port?: number;
  username: string;
  password: string;
  dbname?: string;
}

/**
 * Dependencies inside AWS Lambda: the database credentials come from Secrets Manager (the function
 * gets only the secret's ARN), fetched once per container and never logged; one small pool per
 * container, since each invocation runs one step.
 */
export function awsDependencies(): HandlerDependencies {
  let pool: Promise<Pool> | undefined;
  let s3: S3Client | undefined;
  return {
    pool() {
      pool ??= (async () => {
        const secrets = new SecretsManagerClient({});
        const result = await secrets.send(
          new GetSecretValueCommand({ SecretId: requireEnv('DATABASE_SECRET_ARN') }),
        );
        const secret = JSON.parse(result.SecretString ?? '{}') as DatabaseSecret;
        const url = new URL('postgres://localhost');
        url.hostname = secret.host;
        url.port = String(secret.port ?? 5432);
        url.username = encodeURIComponent(secret.username);
        url.password = encodeURIComponent(secret.password);
        url.pathname = `/${secret.dbname ?? 'postgres'}`;
        url.searchParams.set('sslmode', 'no-verify');
        return createPool(url.toString(), 3);
      })();
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
