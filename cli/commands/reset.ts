import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import path from 'node:path';
import { fallbackDataDir, pipelineHome } from '../environment';
import { EXIT, type Writer, exitCodesHelp } from '../output';

export const RESET_HELP = `Usage: saas-pipeline reset [--yes]

Deletes the local state folder ($SAAS_PIPELINE_HOME, default .saas-pipeline): the embedded
database and the local S3 server's objects. Asks first unless --yes. A database named by
DATABASE_URL, or a bucket on S3_ENDPOINT, is not touched.

${exitCodesHelp({ ok: 'deleted or nothing to delete', failure: true, usage: 'not confirmed' })}
`;

export async function resetCommand(argv: string[], write: Writer): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) return (write(RESET_HELP), EXIT.ok);
  const home = pipelineHome();
  if (!argv.includes('--yes')) {
    if (!process.stdin.isTTY) {
      write(`reset: refusing to delete ${home} without --yes (no terminal to ask on)`);
      return EXIT.usage;
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question(
      `Delete ${home} (embedded database and local landing bucket)? [y/N] `,
    );
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) return (write('reset: nothing deleted'), EXIT.usage);
  }
  await rm(home, { recursive: true, force: true });
  // Where the embedded database went when the state folder was closed to its server (see environment.ts).
  await rm(path.dirname(fallbackDataDir()), { recursive: true, force: true });
  write(`reset: deleted ${home}`);
  return EXIT.ok;
}
