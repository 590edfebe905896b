/**
 * A progress display for long commands. On a terminal it redraws one bar in place; when the
 * stream is not a terminal (CI logs, pipes, files) it prints a plain line now and then, so
 * logs stay readable and are not flooded with carriage returns.
 *
 *   const progress = createProgress({ total: days.length, unit: 'days' });
 *   progress.update(done, '1.2M events');
 *   progress.finish();
 */

/** The part of a writable stream the display needs; `process.stderr` fits. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Units of work in all; 0 or less means unknown (no bar, no ETA). */
  readonly total: number;
  /**
   * What is counted, shown after the numbers.
   * @default ''
   */
  readonly unit?: string;
  /**
   * Shown before the bar.
   * @default ''
   */
  readonly label?: string;
  /** @default process.stderr */
  readonly stream?: ProgressStream;
  /**
   * Force terminal (true) or plain-line (false) mode.
   * @default stream.isTTY
   */
  readonly tty?: boolean;
  /**
   * Minimum time between plain lines when not on a terminal.
   * @default 5000
   */
  readonly lineIntervalMs?: number;
  /**
   * Minimum time between redraws on a terminal.
   * @default 100
   */
  readonly redrawIntervalMs?: number;
  /**
   * Clock in milliseconds; tests pass a fake one.
   * @default performance.now
   */
  readonly now?: () => number;
}

export interface Progress {
  /** Sets how much is done, with an optional detail such as a running count. */
  update(done: number, detail?: string): void;
  /** Draws the final state and ends the line. Further updates are ignored. */
  finish(detail?: string): void;
}

const BAR_WIDTH = 30;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const lineInterval = options.lineIntervalMs ?? 5000;
  const redrawInterval = options.redrawIntervalMs ?? 100;
  const { total } = options;
  const unit = options.unit ? ` ${options.unit}` : '';
  const label = options.label ? `${options.label} ` : '';
  const started = now();
  let lastDraw = -Infinity;
  let done = 0;
  let detail: string | undefined;
  let finished = false;

  const describe = (withBar: boolean): string => {
    const elapsed = (now() - started) / 1000;
    const parts: string[] = [];
    if (total > 0) {
      const ratio = Math.min(1, Math.max(0, done / total));
      const percent = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
      if (withBar) {
        const filled = Math.round(ratio * BAR_WIDTH);
        parts.push(`${label}[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}`);
      } else {
        parts.push(`${label}${percent.trim()}`);
      }
      parts.push(`${done}/${total}${unit}`);
    } else {
      parts.push(`${label}${done}${unit}`);
    }
    if (detail) parts.push(detail);
    const remaining = total > 0 && done > 0 && done < total ? (elapsed / done) * (total - done) : undefined;
    parts.push(
      remaining === undefined
        ? formatDuration(elapsed)
        : `${formatDuration(elapsed)}, ETA ${formatDuration(remaining)}`,
    );
    return parts.join(' · ');
  };

  const draw = (final: boolean): void => {
    const t = now();
    if (tty) {
      if (!final && t - lastDraw < redrawInterval) return;
      let line = describe(true);
      const columns = stream.columns ?? 0;
      if (columns > 0 && line.length > columns - 1) line = line.slice(0, columns - 1);
      // \r and "erase line": the bar redraws in place.
      stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else {
      if (!final && t - lastDraw < lineInterval) return;
      stream.write(`${describe(false)}\n`);
    }
    lastDraw = t;
  };

  return {
    update(value: number, text?: string): void {
      if (finished) return;
      done = value;
      detail = text ?? detail;
      draw(false);
    },
    finish(text?: string): void {
      if (finished) return;
      finished = true;
      detail = text ?? detail;
      draw(true);
    },
  };
}
