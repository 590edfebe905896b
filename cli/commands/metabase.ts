import { parseArgs } from 'node:util';
import { type Change, DASHBOARD_NAME, setupMetabase } from '../../metabase/setup';
import { EXIT, type Writer, exitCodesHelp } from '../output';

export const METABASE_HELP = `Usage: saas-pipeline metabase [options]

Creates the "Executive Overview" dashboard in a running Metabase (0.47 or later): a connection to
the warehouse, a collection "SaaS Analytics", four native-SQL cards from sql/metabase (active users,
retention by signup month, feature adoption, churn risk) and the dashboard showing them. Running it
again updates the same connection, cards and dashboard; it never makes copies.

Options:
  --url URL          Metabase                                      default http://127.0.0.1:3000
  --db-host HOST     the warehouse host, as Metabase reaches it    default postgres (the compose service)
  --db-port PORT     its port, as Metabase reaches it              default 5432
  --db-name NAME     the database                                  default analytics
  --db-user USER     a login granted analytics_reader              default bi_reader
  --db-ssl           connect to the warehouse with TLS (RDS)       default off
  -h, --help         show this help

Environment (secrets are read only from here):
  MB_USER            the Metabase admin's e-mail
  MB_PASSWORD        the Metabase admin's password
  MB_DB_PASSWORD     the password of --db-user

${exitCodesHelp({
  ok: 'done',
  failure: 'failed (Metabase unreachable, login refused, an API error)',
  usage: 'bad arguments or a missing environment variable',
})}
`;

const REQUIRED_ENV = ['MB_USER', 'MB_PASSWORD', 'MB_DB_PASSWORD'] as const;

export async function metabaseCommand(
  argv: string[],
  write: Writer,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      'db-host': { type: 'string', default: 'postgres' },
      'db-port': { type: 'string', default: '5432' },
      'db-name': { type: 'string', default: 'analytics' },
      'db-user': { type: 'string', default: 'bi_reader' },
      'db-ssl': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(METABASE_HELP), EXIT.ok);
  if (!/^https?:\/\/[^/]/.test(values.url) || !URL.canParse(values.url))
    return (
      write(`--url must be an http(s) URL like http://127.0.0.1:3000, got ${JSON.stringify(values.url)}`),
      EXIT.usage
    );
  const port = Number(values['db-port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return (write(`--db-port must be a port number, got ${JSON.stringify(values['db-port'])}`), EXIT.usage);
  const missing = REQUIRED_ENV.filter((name) => !env[name]);
  if (missing.length > 0) {
    write(
      `metabase: set ${missing.join(', ')} in the environment ("saas-pipeline metabase --help" says what each is)`,
    );
    return EXIT.usage;
  }
  const fromEnv = (name: (typeof REQUIRED_ENV)[number]): string => env[name] ?? '';
  write(`metabase: setting up "${DASHBOARD_NAME}" in ${values.url} as ${fromEnv('MB_USER')}`);
  try {
    const { dashboardUrl } = await setupMetabase({
      metabase: { url: values.url, username: fromEnv('MB_USER'), password: fromEnv('MB_PASSWORD') },
      warehouse: {
        host: values['db-host'],
        port,
        dbname: values['db-name'],
        user: values['db-user'],
        password: fromEnv('MB_DB_PASSWORD'),
        ssl: values['db-ssl'],
      },
      onChange: (change) => write(changeLine(change, values)),
    });
    write(`metabase: done; the dashboard is at ${dashboardUrl}`);
    return EXIT.ok;
  } catch (error) {
    // MetabaseError messages are built without secrets; anything else is a plain local failure.
    process.stderr.write(`\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  }
}

function changeLine(
  change: Change,
  values: { 'db-user': string; 'db-host': string; 'db-port': string; 'db-name': string },
): string {
  const where =
    change.object === 'database'
      ? `: ${values['db-user']}@${values['db-host']}:${values['db-port']}/${values['db-name']}`
      : '';
  return `  ${change.action.padEnd(9)} ${change.object.padEnd(10)} "${change.name}" (id ${change.id})${where}`;
}
