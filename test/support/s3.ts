import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../generator';
import type { IngestSource } from '../../lambdas/warehouse/ingest';

export interface TestS3 {
  readonly client: S3Client;
  readonly endpoint: string;
  put(source: IngestSource): Promise<void>;
  close(): Promise<void>;
}

/** A real S3 API server (s3rver) on a free loopback port, with the given buckets. */
export async function startTestS3(buckets: string[]): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({
    endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    client,
    endpoint,
    async put(source) {
      const chunks: Buffer[] = [];
      for await (const chunk of source.body) chunks.push(chunk as Buffer);
      await client.send(
        new PutObjectCommand({ Bucket: source.bucket, Key: source.key, Body: Buffer.concat(chunks) }),
      );
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
