import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

import { createS3Client, generate, type GenerateOptions } from '../../generator';
import { runGenerateCommand } from '../../cli/commands/generate';
import { S3Sink } from '../../generator/sink';
import { listKeys, tempDir } from './helpers';

const BUCKET = 'landing';
const PREFIX = 'raw/';

async function listBucket(client: S3Client, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  // Kept under 1000 keys: s3rver's listing pages beyond that fail on Node 20.
  expect(page.IsTruncated).toBeFalsy();
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function getObject(client: S3Client, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
}

describe('upload to S3 (a real local S3 server)', () => {
  let root: string;
  let server: S3rver;
  let client: S3Client;
  let endpoint: string;

  beforeAll(async () => {
    root = await tempDir('s3');
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(root, 's3rver'),
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    client = createS3Client({
      endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  const options = {
    from: '2024-01-08',
    to: '2024-01-21',
    seed: 9,
    scale: 0.3,
    badRate: 0.02,
    maxLinesPerFile: 400,
  } satisfies Partial<GenerateOptions>;

  test('uploaded objects are byte-identical to the same run written to a folder', async () => {
    const local = join(root, 'local');
    const written = await generate({ ...options, outDir: local });
    const uploaded = await generate({
      ...options,
      s3: { client, bucket: BUCKET, prefix: PREFIX },
      workers: 2,
    });
    expect(uploaded.location).toBe(`s3://${BUCKET}/${PREFIX}`);
    expect(uploaded.files).toBe(written.files);
    expect(uploaded.files).toBeGreaterThan(14);

    const localKeys = await listKeys(local);
    expect(await listBucket(client, PREFIX)).toEqual(localKeys.map((key) => `${PREFIX}${key}`));
    for (const key of localKeys.filter((k) => k.startsWith('events/'))) {
      const [remote, mine] = await Promise.all([
        getObject(client, `${PREFIX}${key}`),
        readFile(join(local, key)),
      ]);
      expect([key, remote.equals(mine)]).toEqual([key, true]);
    }
    const manifest = JSON.parse((await getObject(client, `${PREFIX}${uploaded.manifestKey}`)).toString()) as {
      days: unknown;
    };
    const localManifest = JSON.parse(await readFile(join(local, written.manifestKey), 'utf8')) as {
      days: unknown;
    };
    expect(manifest.days).toEqual(localManifest.days);
  });

  test('a re-run with fewer parts removes the parts it no longer writes', async () => {
    await generate({ ...options, maxLinesPerFile: 0, s3: { client, bucket: BUCKET, prefix: PREFIX } });
    const keys = await listBucket(client, `${PREFIX}events/`);
    expect(keys.length).toBe(14);
    expect(keys.every((key) => key.endsWith('/part-0000.ndjson.gz'))).toBe(true);
  });

  test('large files go up as multipart uploads, intact', async () => {
    const body = randomBytes(12 * 1024 * 1024);
    await new S3Sink(client, BUCKET, 'big/').put('file.bin', body, 'application/octet-stream');
    expect((await getObject(client, 'big/file.bin')).equals(body)).toBe(true);
  });

  test('the command uploads with --bucket and --endpoint, credentials from the environment', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      let out = '';
      const argv = [
        ...'--from 2024-01-08 --to 2024-01-09 --scale 0.2 --quiet --prefix cli/ --bucket'.split(' '),
        BUCKET,
      ];
      const streams = { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true } };
      expect(await runGenerateCommand([...argv, '--endpoint', endpoint], streams)).toBe(0);
      expect(out).toContain(`to s3://${BUCKET}/cli/`);
      expect(await listBucket(client, 'cli/')).toEqual([
        'cli/_manifests/events_2024-01-08_2024-01-09_seed-42.json',
        'cli/events/dt=2024-01-08/part-0000.ndjson.gz',
        'cli/events/dt=2024-01-09/part-0000.ndjson.gz',
      ]);
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
