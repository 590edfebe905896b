import { parseArgs } from 'node:util';
import { listLedgerFiles, releaseRejectedFiles } from '../../lambdas/warehouse/files';
import { migrate } from '../../lambdas/warehouse/migrate';
import { EXIT, table, type Writer, exitCodesHelp } from '../output';
import { withDatabase } from '../services';

export const FILES_HELP = `Usage: saas-pipeline files [list] [--status STATUS] [--limit N]
       saas-pipeline files retry KEY [--etag ETAG]
       saas-pipeline files retry --reason REASON

The file ledger: every landing file the pipeline has seen, by key and ETag, with what became of it.

  list     the newest files first, with their status (loading, loaded, staged, failed, rejected),
           why a rejected file was rejected, and how often loading was tried
  retry    let the next run try the rejected file under KEY again (every version of it, or only
           the one ETag given), or every file rejected for REASON (too_many_failures after an
           outage, say). A rejected file is otherwise never tried again, unless a new version of
           it (a new ETag) lands: use this when the cause was on the pipeline's side.

Options:
  --status STATUS  list only files of this status                 default all
  --limit N        list at most N files                           default 50
  --etag ETAG      retry only this version of KEY
  --reason REASON  retry every file rejected for this reason
  -h, --help       show this help

${exitCodesHelp({
  ok: 'done',
  failure: 'failed (retry: no such rejected file)',
  usage: true,
  runInProgress: 'the embedded database is in use',
  databaseUnreachable: true,
})}
`;

const STATUSES = ['loading', 'loaded', 'staged', 'failed', 'rejected'];

export async function filesCommand(argv: string[], write: Writer): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      limit: { type: 'string', default: '50' },
      etag: { type: 'string' },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(FILES_HELP), EXIT.ok);
  const [action = 'list', ...rest] = positionals;
  if (action === 'retry') {
    const [key, ...extra] = rest;
    if ((key === undefined) === (values.reason === undefined) || extra.length > 0) {
      write(
        'files retry needs one KEY or --reason REASON: saas-pipeline files retry events/dt=2024-06-01/part-0000.ndjson.gz',
      );
      return EXIT.usage;
    }
    return withDatabase(write, async (db) => {
      await migrate(db.pool);
      const released = await releaseRejectedFiles(
        db.pool,
        { key, etag: values.etag, reason: values.reason },
        { by: 'saas-pipeline files retry' },
      );
      if (released.length === 0) {
        const which =
          key !== undefined
            ? `under ${key}${values.etag ? ` with ETag ${values.etag}` : ''}`
            : `rejected for ${values.reason}`;
        write(`files retry: no rejected file ${which}`);
        return EXIT.failure;
      }
      write(
        `files retry: the next run tries ${released.map((file) => `${file.key} (${file.etag})`).join(', ')} again`,
      );
      return EXIT.ok;
    });
  }
  if (action !== 'list' || rest.length > 0) {
    write(`files: unknown action "${[action, ...rest].join(' ')}"\n\n${FILES_HELP}`);
    return EXIT.usage;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    write(`--limit must be a positive whole number, got ${JSON.stringify(values.limit)}`);
    return EXIT.usage;
  }
  if (values.status !== undefined && !STATUSES.includes(values.status)) {
    write(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(values.status)}`);
    return EXIT.usage;
  }
  return withDatabase(write, async (db) => {
    await migrate(db.pool);
    const files = await listLedgerFiles(db.pool, { status: values.status, limit });
    write(
      table(
        files.map((file) => ({
          key: file.key,
          status: file.status,
          reason: file.rejectReason,
          attempts: file.attempts,
          changed: file.changedAt,
          detail: file.detail?.slice(0, 100) ?? null,
        })),
      ),
    );
    return EXIT.ok;
  });
}
