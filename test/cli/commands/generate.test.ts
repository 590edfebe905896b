import { rm } from 'node:fs/promises';

import { EXIT_OK, EXIT_USAGE, runGenerateCommand } from '../../../cli/commands/generate';
import { listKeys, tempDir } from '../../generator/helpers';

/** Captures what the command writes; stderr is not a terminal, as in CI. */
function captureIo() {
  const io = { out: '', err: '' };
  return {
    io,
    streams: {
      stdout: { write: (text: string) => (io.out += text) },
      stderr: { write: (text: string) => (io.err += text), isTTY: false },
    },
  };
}

describe('saas-pipeline generate', () => {
  test('--help documents the options and the exit codes', async () => {
    const { io, streams } = captureIo();
    expect(await runGenerateCommand(['--help'], streams)).toBe(EXIT_OK);
    expect(io.out).toContain('Usage: saas-pipeline generate');
    for (const option of [
      '--from',
      '--to',
      '--seed',
      '--out',
      '--bucket',
      '--endpoint',
      '--scale',
      '--bad-rate',
      '--workers',
    ]) {
      expect(io.out).toContain(option);
    }
    expect(io.out).toContain('Exit codes: 0 success, 1 generation or upload failed, 2 bad arguments.');
  });

  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--from', '2024-02-30'], /not a calendar date/],
    [['--from', '2024-03-01', '--to', '2024-02-01'], /before --from/],
    [['--seed', '1.5'], /--seed must be a non-negative integer/],
    [['--scale', 'lots'], /--scale must be/],
    [['--out', 'x', '--bucket', 'y'], /--out or --bucket, not both/],
    [['--endpoint', 'http://127.0.0.1:1'], /only applies with --bucket/],
    [['--bad-kinds', 'invalid_json,nonsense'], /unknown kind "nonsense"/],
    [['--workers', '0'], /--workers must be/],
  ])('%j is refused with exit code 2', async (argv, message) => {
    const { io, streams } = captureIo();
    expect(await runGenerateCommand(argv, streams)).toBe(EXIT_USAGE);
    expect(io.err).toMatch(message);
    expect(io.err).toContain("Try 'saas-pipeline generate --help'");
  });

  test('a run writes the files, reports progress on stderr and a summary line on stdout', async () => {
    const out = await tempDir('cli');
    try {
      const { io, streams } = captureIo();
      const argv = [...'--from 2024-01-01 --to 2024-01-14 --scale 0.5 --seed 3 --out'.split(' '), out];
      expect(await runGenerateCommand(argv, streams)).toBe(EXIT_OK);
      expect(io.out).toMatch(
        /^generated [\d,]+ events in \d+ files, [\d.]+ MB gzipped, to .+ in [\d.]+ s: [\d,]+ events\/s\n$/,
      );
      // Not a terminal: plain lines, no carriage returns.
      expect(io.err).toMatch(/generate \d+% · \d+\/14 days/);
      expect(io.err).not.toContain('\r');
      const keys = await listKeys(out);
      expect(keys).toContain('_manifests/events_2024-01-01_2024-01-14_seed-3.json');
      expect(keys.filter((key) => key.startsWith('events/dt=2024-01-')).length).toBeGreaterThan(5);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('a failure to write exits with 1', async () => {
    const { io, streams } = captureIo();
    // A file where the output folder should be.
    const argv = [...'--from 2024-01-05 --to 2024-01-05 --scale 0.2 --quiet --out'.split(' '), __filename];
    expect(await runGenerateCommand(argv, streams)).toBe(1);
    expect(io.err).toMatch(/saas-pipeline generate failed: /);
  });
});
