import { migrate } from '../../lambdas/warehouse/migrate';
import { EXIT, type Writer, exitCodesHelp } from '../output';
import { withDatabase } from '../services';

export const MIGRATE_HELP = `Usage: saas-pipeline migrate

Applies the migrations in sql/migrations that the database has not applied yet, then the schema
models in sql/models (views, materialized views, functions) whose files changed since they were
applied, with the models that depend on them; all in one transaction. After a new migration every
model is applied again. Materialized views made again are empty until the next run refreshes them;
readers see the published tables meanwhile.

${exitCodesHelp({
  ok: 'done',
  failure: true,
  runInProgress: 'the embedded database is in use',
  databaseUnreachable: true,
})}
`;

export async function migrateCommand(argv: string[], write: Writer): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) return (write(MIGRATE_HELP), EXIT.ok);
  return withDatabase(write, async (db) => {
    const { applied } = await migrate(db.pool);
    write(applied.length > 0 ? `migrate: applied ${applied.join(', ')}` : 'migrate: schema is up to date');
    return EXIT.ok;
  });
}
