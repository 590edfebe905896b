import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// `saas-pipeline serve` as a user runs it, in its own process, against a real database: it must not
// start off loopback without a token, and with one it must ask for it. (It tests
// cli/commands/dashboard.ts.)
const CLI = path.resolve(__dirname, '../../../bin/saas-pipeline.js');
const TOKEN = 'serve-command-test-token';

let db: TestDatabase;
let folder: string;
beforeAll(async () => {
  db = await createTestDatabase();
  folder = await mkdtemp(path.join(tmpdir(), 'serve-command-'));
});
afterAll(async () => {
  await db.drop();
  await rm(folder, { recursive: true, force: true });
});

function serve(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { ...process.env, DATABASE_URL: db.url, DASHBOARD_TOKEN: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** What the command printed, and how it ended. */
function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('off loopback without a token, or with a bad one, it refuses to start with exit code 2', async () => {
  const missing = path.join(folder, 'no-such-file');
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ['--host', '0.0.0.0', '--port', '0'],
      {},
      /--host 0\.0\.0\.0 shows the dashboard beyond this machine, so it needs a token of 16 or more characters: set DASHBOARD_TOKEN, or put it in a file and pass --token-file PATH/,
    ],
    [
      ['--host', '0.0.0.0', '--port', '0'],
      { DASHBOARD_TOKEN: 'tiny-token' },
      /DASHBOARD_TOKEN is shorter than 16/,
    ],
    // A token given on loopback is held to the same rules.
    [['--port', '0'], { DASHBOARD_TOKEN: '' }, /DASHBOARD_TOKEN is shorter than 16/],
    [['--host', '0.0.0.0', '--port', '0', '--token-file', missing], {}, /cannot read it \(ENOENT\)/],
    [
      ['--port', '0', '--token-file', missing],
      { DASHBOARD_TOKEN: TOKEN },
      /one way: DASHBOARD_TOKEN or --token-file/,
    ],
    [['--port', '0', '--allow-host', 'not a name'], {}, /--allow-host must be a host name/],
  ];
  const results = await Promise.all(cases.map(([args, env]) => finished(serve(args, env))));
  results.forEach(({ code, output }, i) => {
    const [args, env, message] = cases[i] ?? [[], {}, /never/];
    expect([args, code]).toEqual([args, 2]);
    expect(output).toMatch(message);
    const token = (env as Record<string, string>).DASHBOARD_TOKEN;
    if (token) expect(output).not.toContain(token);
    expect(output).not.toMatch(/dashboard: http/);
  });
});

test('on every interface with a token file, it serves only those who present the token', async () => {
  const tokenFile = path.join(folder, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  const child = serve(['--host', '0.0.0.0', '--port', '0', '--token-file', tokenFile]);
  const ended = finished(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + 30_000;
    while (!/dashboard: (http:\S+)/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`serve did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /dashboard: (http:\S+)/.exec(output)?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(output).toMatch(/dashboard: http:\S+ \(token required\)/);
    expect(output).toMatch(/answers to: .*127\.0\.0\.1:\d+/);
    expect(output).not.toMatch(/can be read by other users/);
    expect((await fetch(new URL('/healthz', url))).status).toBe(401);
    const healthy = await fetch(new URL('/healthz', url), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(healthy.status).toBe(200);
    expect(output).not.toContain(TOKEN);
  } finally {
    child.kill('SIGINT');
    await ended;
  }
});
