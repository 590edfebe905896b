import childProcess from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { openLandingStore, prestartLocalS3 } from '../../local/s3-server';

test('the local landing bucket lists past 1000 keys and keeps its objects between starts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'landing-store-'));
  try {
    const first = await openLandingStore({ bucket: 'landing', localDir: dir });
    const keys = Array.from(
      { length: 1005 },
      (_, i) => `events/dt=2024-01-01/part-${String(i).padStart(4, '0')}.ndjson`,
    );
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key) => first.client.send(new PutObjectCommand({ Bucket: 'landing', Key, Body: '{}' }))),
      );
    }
    await first.close();

    const again = await openLandingStore({ bucket: 'landing', localDir: dir });
    try {
      const listed: string[] = [];
      let token: string | undefined;
      do {
        const page = await again.client.send(
          new ListObjectsV2Command({ Bucket: 'landing', Prefix: 'events/', ContinuationToken: token }),
        );
        listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      expect(listed.sort()).toEqual(keys);
    } finally {
      await again.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing bucket is an error on a given endpoint, not created there', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'landing-store-'));
  const local = await openLandingStore({ bucket: 'other', localDir: dir });
  try {
    // Any key pair opens s3rver; on a given endpoint they come from the SDK's usual chain.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    await expect(openLandingStore({ bucket: 'absent', endpoint: local.endpoint })).rejects.toThrow(
      /Landing bucket "absent" does not exist/,
    );
  } finally {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await local.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a server prestarted for a folder is the one the next store of that folder takes up, once', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'landing-store-'));
  const other = await mkdtemp(path.join(tmpdir(), 'landing-store-'));
  const spawned = jest.spyOn(childProcess, 'spawn');
  const servers = () => spawned.mock.calls.filter(([, args]) => String(args?.[1]).includes('s3rver')).length;
  try {
    prestartLocalS3(dir);
    expect(servers()).toBe(1);
    const first = await openLandingStore({ bucket: 'landing', localDir: dir });
    expect(servers()).toBe(1);
    await first.client.send(new PutObjectCommand({ Bucket: 'landing', Key: 'events/a', Body: '{}' }));
    await first.close();
    // Taken once: the next store starts its own.
    const second = await openLandingStore({ bucket: 'landing', localDir: dir });
    expect(servers()).toBe(2);
    await second.close();
    // One prestarted for another folder is not used there: it is stopped, and a server of the
    // folder asked for starts.
    prestartLocalS3(dir);
    const elsewhere = await openLandingStore({ bucket: 'landing', localDir: other });
    expect(servers()).toBe(4);
    const listed = await elsewhere.client.send(new ListObjectsV2Command({ Bucket: 'landing' }));
    expect(listed.Contents ?? []).toEqual([]);
    await elsewhere.close();
  } finally {
    spawned.mockRestore();
    await rm(dir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  }
});
