/** Plain-text helpers for the CLI's tables and numbers. */
export type Writer = (line: string) => void;

/** The CLI's exit codes: the only place that gives their numbers. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  qualityGate: 3,
  runInProgress: 4,
  databaseUnreachable: 5,
  interrupted: 130,
} as const;
export type ExitName = keyof typeof EXIT;

/** What each code means where a command does not say more. */
export const EXIT_MEANINGS: Readonly<Record<ExitName, string>> = {
  ok: 'ok',
  failure: 'failed',
  usage: 'bad arguments',
  qualityGate: 'data-quality gate failed',
  runInProgress: 'another run (or command, on the embedded database) is in progress',
  databaseUnreachable: 'database unreachable',
  interrupted: 'interrupted',
};

/**
 * The "Exit codes:" paragraph of a command's help: the codes it can end with, in order, each with the
 * command's own wording or (given `true`) the common one; wrapped to 100 columns.
 */
export function exitCodesHelp(codes: Partial<Record<ExitName, string | true>>): string {
  const parts = (Object.keys(EXIT) as ExitName[])
    .filter((name) => codes[name] !== undefined)
    .map((name) => {
      const meaning = codes[name];
      return `${EXIT[name]} ${meaning === true ? EXIT_MEANINGS[name] : meaning}`;
    });
  const lines: string[] = [];
  let line = 'Exit codes:';
  for (const word of `${parts.join(', ')}.`.split(' ')) {
    if (line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

export function formatCount(n: number | string | null | undefined): string {
  return n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A left-aligned text table; numbers are right-aligned. */
export function table(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const keys = columns ?? Object.keys(rows[0] ?? {});
  if (rows.length === 0) return '  (none)';
  const cells = rows.map((row) => keys.map((key) => formatCell(row[key])));
  const widths = keys.map((key, i) => Math.max(key.length, ...cells.map((line) => (line[i] ?? '').length)));
  const numeric = keys.map((_, i) => cells.every((line) => /^-?[\d,.]+%?$|^-$/.test(line[i] ?? '')));
  const render = (values: string[]) =>
    '  ' +
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render([...keys]), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString().replace('.000Z', 'Z');
  if (typeof value === 'number') return Number.isInteger(value) ? formatCount(value) : String(value);
  return String(value);
}
