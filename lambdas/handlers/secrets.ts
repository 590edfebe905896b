import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterError, TransformParameterError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

/** Secrets Manager is asked again after this long, so that a rotated password reaches new connections. */
export const SECRET_MAX_AGE_SECONDS = 300;

/** How long one request to Secrets Manager may take before it fails (the SDK retries it twice). */
export const SECRETS_MANAGER_TIMEOUT_MS = 5_000;

export interface SecretReaderOptions {
  /** @default SECRET_MAX_AGE_SECONDS */
  readonly maxAgeSeconds?: number;
  /** @default SECRETS_MANAGER_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default a client with that timeout, at the endpoint AWS_ENDPOINT_URL_SECRETS_MANAGER names, if any */
  readonly client?: SecretsManagerClient;
}

/** A login's secret as the database stack writes it, with what identifies this version of it. */
export interface SecretVersion {
  readonly fields: Record<string, unknown>;
  readonly arn: string;
  readonly versionId: string;
}

/**
 * A Secrets Manager client that gives up on an endpoint that does not answer, so that the step fails
 * (and the state machine retries it) instead of hanging until the function's own timeout. The
 * endpoint is the SDK's own choice, which AWS_ENDPOINT_URL_SECRETS_MANAGER overrides.
 */
export function secretsManagerClient(timeoutMs = SECRETS_MANAGER_TIMEOUT_MS): SecretsManagerClient {
  return new SecretsManagerClient({
    requestHandler: {
      connectionTimeout: Math.min(timeoutMs, 3_000),
      // requestTimeout alone only logs a warning in this SDK; older ones treat it as the idle timeout.
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    },
  });
}

/**
 * The one way the handlers read secrets. JSON secrets are cached for `maxAgeSeconds` (Powertools
 * Parameters); a failed read is not cached, so the next one asks again. A secret's value never
 * appears in an error, which Step Functions would record and the logs would show.
 */
export class SecretReader {
  private client?: SecretsManagerClient;
  private provider?: SecretsProvider;

  constructor(private readonly options: SecretReaderOptions = {}) {}

  /** The secret's JSON, from the cache while younger than maxAgeSeconds. */
  async json(secretId: string): Promise<Record<string, unknown>> {
    // Created on first use, so that the endpoint and region are read when a handler runs, not on import.
    this.provider ??= new SecretsProvider({ awsSdkV3Client: this.sdkClient() });
    let value: unknown;
    try {
      value = await this.provider.get(secretId, {
        transform: 'json',
        maxAge: this.options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS,
      });
    } catch (error) {
      throw readError(secretId, error);
    }
    return asFields(secretId, value);
  }

  /**
   * The secret's JSON as it is now, never cached, with its ARN and version id: the deployment sets
   * passwords from it, and a changed value must be seen at once.
   */
  async current(secretId: string): Promise<SecretVersion> {
    const result = await this.sdkClient().send(new GetSecretValueCommand({ SecretId: secretId }));
    let value: unknown;
    try {
      value = JSON.parse(result.SecretString ?? '');
    } catch {
      throw notJson(secretId);
    }
    return {
      fields: asFields(secretId, value),
      arn: result.ARN ?? secretId,
      versionId: result.VersionId ?? '',
    };
  }

  private sdkClient(): SecretsManagerClient {
    this.client ??= this.options.client ?? secretsManagerClient(this.options.timeoutMs);
    return this.client;
  }
}

/**
 * Powertools wraps a failed read in GetParameterError; the SDK's error inside is what tells a
 * throttle or a timeout (worth a retry, step.ts) from a missing secret. A secret that is not JSON
 * fails with JSON.parse's message, which quotes the start of the value: it is replaced.
 */
function readError(secretId: string, error: unknown): Error {
  if (error instanceof TransformParameterError) return notJson(secretId);
  if (error instanceof GetParameterError && error.cause instanceof Error) return error.cause;
  return error instanceof Error ? error : new Error(String(error));
}

function notJson(secretId: string): Error {
  return new Error(`Secret ${secretId} does not hold a JSON object`);
}

function asFields(secretId: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notJson(secretId);
  return value as Record<string, unknown>;
}

/** The secrets of every step handler, shared by the container's invocations. */
export const secrets = new SecretReader();
