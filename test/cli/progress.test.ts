import { createProgress, formatDuration } from '../../cli/progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text), isTTY, columns: 200 } };
}

describe('progress', () => {
  test('on a terminal it redraws one bar in place, at most every redraw interval', () => {
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const progress = createProgress({ total: 10, unit: 'days', label: 'work', stream, now: () => now });
    progress.update(1, '5 events');
    now = 50;
    progress.update(2); // too soon: skipped
    now = 200;
    progress.update(5);
    progress.finish();
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe(
      `\r\x1b[2Kwork [${'#'.repeat(3)}${'-'.repeat(27)}]  10% · 1/10 days · 5 events · 0s, ETA 0s`,
    );
    expect(writes[1]).toContain('[###############---------------]  50% · 5/10 days · 5 events');
    expect(writes[2]?.endsWith('\n')).toBe(true);
    expect(writes.slice(0, 2).every((text) => !text.includes('\n'))).toBe(true);
  });

  test('elsewhere it prints a plain line now and then, and a last one at the end', () => {
    let now = 0;
    const { writes, stream } = fakeStream(false);
    const progress = createProgress({
      total: 4,
      unit: 'files',
      stream,
      lineIntervalMs: 1000,
      now: () => now,
    });
    progress.update(1);
    now = 500;
    progress.update(2);
    now = 1500;
    progress.update(3, 'busy');
    now = 2000;
    progress.finish('done');
    expect(writes).toEqual([
      '25% · 1/4 files · 0s, ETA 0s\n',
      '75% · 3/4 files · busy · 2s, ETA 1s\n',
      '75% · 3/4 files · done · 2s, ETA 1s\n',
    ]);
    progress.update(4);
    expect(writes).toHaveLength(3);
  });

  test('without a total it counts without a bar', () => {
    const { writes, stream } = fakeStream(false);
    const progress = createProgress({ total: 0, unit: 'rows', stream, now: () => 0 });
    progress.update(42);
    expect(writes).toEqual(['42 rows · 0s\n']);
  });

  test('durations read naturally', () => {
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7300)).toBe('2h01m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
