import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const BLOCK = path.join(ROOT, 'test/support/block-database-driver.js');

test('the CDK app synthesizes with the database driver made unloadable', async () => {
  const outdir = await mkdtemp(path.join(os.tmpdir(), 'synth-'));
  try {
    // The same proof by hand:
    //   CDK_OUTDIR=/tmp/out CDK_CONTEXT_JSON='{"aws:cdk:bundling-stacks":[]}' \
    //     node -r ./test/support/block-database-driver.js -r tsx/cjs -e "require('./bin/app.ts')"
    await promisify(execFile)(
      process.execPath,
      ['-r', BLOCK, '-r', 'tsx/cjs', '-e', "require('./bin/app.ts')"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          // Bundling is left out only to keep the test quick; it runs esbuild, not the driver.
          CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
        },
      },
    );
    expect((await readdir(outdir)).filter((file) => file.endsWith('.template.json')).sort()).toEqual([
      'SaasAnalyticsDatabase.template.json',
      'SaasAnalyticsNetwork.template.json',
      'SaasAnalyticsPipeline.template.json',
    ]);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
});

test('the blocker really blocks the driver', async () => {
  await expect(
    promisify(execFile)(process.execPath, ['-r', BLOCK, '-e', "require('pg')"], { cwd: ROOT }),
  ).rejects.toThrow(/blocked: pg must not be loaded here/);
});
