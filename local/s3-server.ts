import { mkdirSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface LandingStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** Where the bucket is, for messages: an endpoint URL or "AWS". */
  readonly description: string;
  /** The S3 API's URL, unset for AWS. */
  readonly endpoint?: string;
  close(): Promise<void>;
}

export interface LandingStoreOptions {
  readonly bucket: string;
  /** An S3 API to use (LocalStack, MinIO, ...); unset with `local` false: AWS itself. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Start a local S3 server keeping its objects in this folder. */
  readonly localDir?: string;
}

/**
 * The landing bucket: on a local S3 API server (s3rver, started here, objects kept on disk), on a
 * given endpoint, or on AWS. A missing bucket is created only on the local server.
 */
export async function openLandingStore(options: LandingStoreOptions): Promise<LandingStore> {
  if (options.localDir && !options.endpoint) {
    // Started before this function first waits, so that what its caller does next overlaps the
    // server's start-up in its own process (cli/commands/run.ts counts on it).
    const starting = takePrestarted(options.localDir) ?? startLocalS3(options.localDir);
    // The AWS SDK (a sixth of a second to load) loads while the server boots in its process.
    starting.catch(() => undefined);
    const { createS3Client } = await import('../common/s3-client');
    const server = await starting;
    const endpoint = `http://127.0.0.1:${server.port}`;
    // s3rver accepts any key pair; these are not secrets.
    const client = createS3Client({
      endpoint,
      region: options.region,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await ensureBucket(client, options.bucket, true);
    return {
      client,
      bucket: options.bucket,
      description: `local S3 server (${options.localDir})`,
      endpoint,
      async close() {
        client.destroy();
        await server.stop();
      },
    };
  }
  const { createS3Client } = await import('../common/s3-client');
  const client = createS3Client({ endpoint: options.endpoint, region: options.region });
  await ensureBucket(client, options.bucket, false);
  return {
    client,
    bucket: options.bucket,
    description: options.endpoint ?? 'AWS S3',
    endpoint: options.endpoint,
    async close() {
      client.destroy();
    },
  };
}

let prestarted: { readonly directory: string; readonly server: Promise<S3rverProcess> } | undefined;

/**
 * Starts the local S3 server for `directory` now, for the next openLandingStore of that folder to take
 * up: the CLI calls it before it loads a command that opens the bucket first thing, so that the
 * server boots in its process while the command's modules load in this one. Left unused, it stops
 * when this process exits (its stdin closes).
 */
export function prestartLocalS3(directory: string): void {
  if (prestarted) return;
  prestarted = { directory, server: startLocalS3(directory) };
  prestarted.server.catch(() => undefined);
}

/** The server prestartLocalS3 started for this folder, once; one for another folder is stopped. */
function takePrestarted(directory: string): Promise<S3rverProcess> | undefined {
  const taken = prestarted;
  prestarted = undefined;
  if (!taken || taken.directory === directory) return taken?.server;
  taken.server.then((server) => server.stop()).catch(() => undefined);
  return undefined;
}

function startLocalS3(directory: string): Promise<S3rverProcess> {
  mkdirSync(directory, { recursive: true });
  return startS3rverProcess(directory, 0);
}

interface S3rverProcess {
  readonly port: number;
  stop(): Promise<void>;
}

/** s3rver in a child process (see s3rver-process.js for why), ready when it prints its port. */
function startS3rverProcess(directory: string, port: number): Promise<S3rverProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        // Beside this file: the script in the sources; in dist/, the same bundled with s3rver, which
        // starts in about half the time (scripts/build.js).
        path.join(__dirname, 's3rver-process.js'),
        directory,
        String(port),
      ],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const ready = /ready (\d+)/.exec(chunk.toString());
      if (!ready) return;
      const stopped = new Promise<void>((done) => child.once('exit', () => done()));
      resolve({
        port: Number(ready[1]),
        stop: async () => {
          child.stdin.end();
          await stopped;
        },
      });
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`The local S3 server exited (code ${code}): ${output.trim()}`)),
    );
  });
}

async function ensureBucket(client: S3Client, bucket: string, create: boolean): Promise<void> {
  const { CreateBucketCommand, HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404 && status !== 403 && (error as Error).name !== 'NotFound') throw error;
    if (!create) {
      throw new Error(
        `Landing bucket "${bucket}" does not exist or is not yours: create it or set LANDING_BUCKET`,
        {
          cause: error,
        },
      );
    }
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
