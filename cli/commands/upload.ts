import { createReadStream } from 'node:fs';
import { Upload } from '@aws-sdk/lib-storage';
import { listLandedFiles } from '../../local/landing-folder';
import { createProgress } from '../progress';
import { EXIT, formatCount, type Writer, exitCodesHelp } from '../output';
import { withLanding } from '../services';

export const UPLOAD_HELP = `Usage: saas-pipeline upload DIR

Uploads the event files under DIR/events (events/dt=YYYY-MM-DD/*.ndjson[.gz], as "generate --out"
writes them) and DIR/segment-logs (Segment's layout, as "generate --format segment" writes it) to the
landing bucket, under the same keys. A file uploaded again with the same
content keeps its ETag, so the next run skips it.

Environment: LANDING_BUCKET, S3_ENDPOINT, AWS_REGION as for "saas-pipeline run".
${exitCodesHelp({ ok: 'uploaded', failure: true, usage: true })}
`;

export async function uploadCommand(argv: string[], write: Writer): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) return (write(UPLOAD_HELP), EXIT.ok);
  const [dir, ...extra] = argv;
  if (dir === undefined || extra.length > 0)
    return (write(`upload takes one folder\n\n${UPLOAD_HELP}`), EXIT.usage);
  const files = await listLandedFiles(dir);
  if (files.length === 0)
    return (write(`upload: no event files under ${dir}/events or ${dir}/segment-logs`), EXIT.usage);
  return withLanding(write, async (landing) => {
    const progress = createProgress({ total: files.length, unit: 'files', label: 'upload' });
    let done = 0;
    let bytes = 0;
    const queue = [...files];
    const worker = async (): Promise<void> => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        await new Upload({
          client: landing.client,
          params: { Bucket: landing.bucket, Key: file.key, Body: createReadStream(file.path) },
        }).done();
        bytes += file.sizeBytes;
        progress.update(++done, `${(bytes / 1e6).toFixed(1)} MB`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    progress.finish();
    write(
      `uploaded ${formatCount(files.length)} files (${(bytes / 1e6).toFixed(1)} MB) to ${landing.bucket}`,
    );
    return EXIT.ok;
  });
}
