import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface CreateS3ClientOptions {
  /**
   * A custom endpoint such as a local S3 server or LocalStack (`http://127.0.0.1:4569`).
   * @default AWS's regional endpoint
   */
  readonly endpoint?: string;
  /**
   * @default 'us-east-1' when an endpoint is given; otherwise the SDK's own resolution
   */
  readonly region?: string;
  /**
   * Static credentials, e.g. for a local server.
   * @default the SDK's default credential chain
   */
  readonly credentials?: S3ClientConfig['credentials'];
  /**
   * How long a connection may stay silent before the request fails (and the SDK retries it). Idle
   * time, not the whole request: a large file streams for longer than this, but never stalls for it.
   * @default 60000 ms
   */
  readonly idleTimeoutMs?: number;
}

/** How long connecting to S3 may take before the attempt fails and is retried. */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * The project's S3 client. It reads nothing from the environment itself: callers decide.
 *
 * With a custom endpoint it uses path-style addressing (local servers have no per-bucket
 * DNS) and computes checksums only when an operation requires them: otherwise recent SDKs
 * send streamed uploads with aws-chunked framing that servers such as s3rver store verbatim,
 * silently corrupting the object.
 */
export function createS3Client(options: CreateS3ClientOptions = {}): S3Client {
  const { endpoint, region, credentials } = options;
  // Without these the SDK waits for ever on a connection that went silent: a run would hang until
  // its Lambda or state timeout, instead of retrying the request.
  const requestHandler = {
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: options.idleTimeoutMs ?? 60_000,
  };
  if (endpoint === undefined) {
    return new S3Client({
      requestHandler,
      ...(region ? { region } : {}),
      ...(credentials ? { credentials } : {}),
    });
  }
  return new S3Client({
    requestHandler,
    endpoint,
    region: region ?? 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(credentials ? { credentials } : {}),
  });
}
