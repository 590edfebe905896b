/** Where generated files go: a local folder or an S3 bucket, written with bounded concurrency. */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface Sink {
  /** Human-readable destination, e.g. `s3://bucket/prefix` or a folder path. */
  readonly location: string;
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Deletes objects under `folder` (a key prefix ending in `/`) that are not in `keep`. */
  removeOthers(folder: string, keep: ReadonlySet<string>): Promise<void>;
}

export class LocalSink implements Sink {
  readonly location: string;
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {
    this.location = root;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = join(this.root, key);
    const dir = dirname(path);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    await writeFile(path, body);
  }

  async removeOthers(folder: string, keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(join(this.root, folder));
    } catch {
      return; // nothing there yet
    }
    await Promise.all(
      names
        .filter((name) => !keep.has(`${folder}${name}`))
        .map((name) => rm(join(this.root, folder, name), { force: true, recursive: true })),
    );
  }
}

export class S3Sink implements Sink {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    // lib-storage switches to a multipart upload above 5 MB and aborts it on failure.
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: `${this.prefix}${key}`, Body: body, ContentType: contentType },
    }).done();
  }

  async removeOthers(folder: string, keep: ReadonlySet<string>): Promise<void> {
    const stale: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${folder}`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (key !== undefined && !keep.has(key)) stale.push(`${this.prefix}${key}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (let i = 0; i < stale.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }
}

/**
 * Runs tasks with at most `limit` in flight. `submit` waits for a free slot, which is the
 * back-pressure that keeps memory flat when the destination is slower than the generator.
 */
export class TaskPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private error: unknown;
  private failed = false;

  constructor(private readonly limit: number) {}

  async submit(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.throwIfFailed();
    this.running++;
    const promise = task()
      .catch((error: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.error = error;
        }
      })
      .finally(() => {
        this.running--;
        this.inFlight.delete(promise);
        this.waiting.shift()?.();
      });
    this.inFlight.add(promise);
  }

  /** Waits for everything submitted; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.error;
  }
}
