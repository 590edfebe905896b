import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { FileRejection } from './inflation-guard';
import { LINE_LIMITS } from './limits';
import { namesErasedPerson, type Tombstones } from './erasure';
import { lineProblem, type LineProblem } from './line-checks';
import type { UserAgentCollector } from './user-agents';

export interface LineCounts {
  /** Non-blank lines read. */
  lines: number;
  /** Lines that are JSON jsonb can store, written with a payload. */
  rows: number;
  /** Lines written without a payload, with the reason they have none. */
  invalid: number;
  blank: number;
  /** Lines that name an erased person (ops.erased_ids): dropped, counted here and nowhere else. */
  forgotten: number;
}

/** The columns of raw.events that COPY fills, in the order the rows below give them. */
export const COPY_COLUMNS = '(file_id, line_number, payload, line, line_reason, line_error)';

// COPY's csv format with two control characters as quote and delimiter passes JSON through untouched:
// valid JSON never holds a raw control character, while the text format would eat its backslashes.
export const COPY_OPTIONS = `(format csv, delimiter e'\\x02', quote e'\\x01')`;
const DELIMITER = '\x02';
const QUOTE = '\x01';
const NEWLINE = 0x0a;
const BOM = '\ufeff';
const JSON_BLANK = /^[ \t\r]*$/;

/**
 * Turns NDJSON bytes into COPY rows for raw.events. A line that PostgreSQL's jsonb would refuse, or
 * that breaks a limit (LINE_LIMITS), is written as it came (a prefix, if too long) with its reason
 * and no payload, in the same stream: so one bad line never fails the file, nothing is lost, and
 * memory never holds more than one line of the maximum length, however many lines are bad.
 */
export class NdjsonToCopyRows extends Transform {
  readonly counts: LineCounts = { lines: 0, rows: 0, invalid: 0, blank: 0, forgotten: 0 };
  private readonly fileId: string;
  private lineNumber = 0;
  /** Bytes of the line begun in an earlier chunk, at most maxLineBytes of them. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The line begun earlier is over the limit: the rest of it is dropped up to its newline. */
  private overflowing = false;

  constructor(
    fileId: number,
    /** Past this many lines the stream fails with a FileRejection (too_many_lines). */
    private readonly maxLines = Number.POSITIVE_INFINITY,
    private readonly lineOptions: {
      /** The erased persons: a line that names one is dropped (lambdas/warehouse/erasure.ts). */
      readonly tombstones?: Tombstones | null;
      /** Collects the user agents of the lines kept (lambdas/warehouse/user-agents.ts). */
      readonly userAgents?: UserAgentCollector;
    } = {},
  ) {
    super({ writableHighWaterMark: 64 * 1024, readableHighWaterMark: 256 * 1024 });
    this.fileId = String(fileId);
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    this.convertChunk(chunk, encoding, (error, out) => {
      if (error || this.lineNumber <= this.maxLines) return callback(error, out);
      callback(new FileRejection('too_many_lines', `more than ${this.maxLines} lines`));
    });
  }

  private convertChunk(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let out = '';
    let start = 0;
    if (this.pendingBytes > 0 || this.overflowing) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.hold(chunk);
        return callback();
      }
      this.hold(chunk.subarray(0, newline));
      out += this.takePending();
      start = newline + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      out += this.convertRegion(chunk.subarray(start, last));
      start = last + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    callback(null, out.length > 0 ? out : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const out = this.pendingBytes > 0 || this.overflowing ? this.takePending() : '';
    callback(null, out.length > 0 ? out : undefined);
  }

  /** Keeps a piece of the unfinished line, up to the limit; past it only the prefix stays. */
  private hold(piece: Buffer): void {
    if (this.overflowing || piece.length === 0) return;
    if (this.pendingBytes + piece.length > LINE_LIMITS.maxLineBytes) {
      this.overflowing = true;
      const prefix = Buffer.concat([...this.pending, piece]).subarray(0, LINE_LIMITS.keptPrefixBytes);
      this.pending = [Buffer.from(prefix)];
      this.pendingBytes = prefix.length;
      return;
    }
    // A copy: the chunk's memory is reused by the stream once this returns.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  private takePending(): string {
    const bytes = Buffer.concat(this.pending);
    const overflowed = this.overflowing;
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowing = false;
    if (overflowed) return this.tooLong(bytes);
    return this.convertLine(bytes.toString('utf8'), isUtf8(bytes));
  }

  /** Whole lines, separated by newlines. Almost always valid UTF-8 and short, so decoded at once. */
  private convertRegion(region: Buffer): string {
    if (isUtf8(region)) {
      let out = '';
      for (const line of region.toString('utf8').split('\n')) {
        // A UTF-16 unit takes at most 3 UTF-8 bytes: only a long line needs its bytes counted.
        if (line.length * 3 > LINE_LIMITS.maxLineBytes && Buffer.byteLength(line) > LINE_LIMITS.maxLineBytes)
          out += this.tooLong(Buffer.from(line).subarray(0, LINE_LIMITS.keptPrefixBytes));
        else out += this.convertLine(line, true);
      }
      return out;
    }
    let out = '';
    let start = 0;
    while (start <= region.length) {
      const newline = region.indexOf(NEWLINE, start);
      const end = newline < 0 ? region.length : newline;
      const bytes = region.subarray(start, end);
      if (bytes.length > LINE_LIMITS.maxLineBytes)
        out += this.tooLong(bytes.subarray(0, LINE_LIMITS.keptPrefixBytes));
      else out += this.convertLine(bytes.toString('utf8'), isUtf8(bytes));
      start = end + 1;
    }
    return out;
  }

  private convertLine(text: string, validUtf8: boolean): string {
    const lineNumber = ++this.lineNumber;
    let line = text.endsWith('\r') ? text.slice(0, -1) : text;
    // A byte-order mark some editors put before the first line is not part of the JSON.
    if (lineNumber === 1 && line.startsWith(BOM)) line = line.slice(1);
    // Blank as JSON sees it: only its own whitespace. A line of U+00A0 or U+3000 is not JSON.
    if (JSON_BLANK.test(line)) {
      this.counts.blank++;
      return '';
    }
    this.counts.lines++;
    const problem: LineProblem | null = validUtf8
      ? lineProblem(line)
      : { reason: 'invalid_encoding', detail: 'the line is not valid UTF-8' };
    const { tombstones, userAgents } = this.lineOptions;
    if (tombstones && namesErasedPerson(line, tombstones)) {
      this.counts.lines--;
      this.counts.forgotten++;
      return '';
    }
    if (problem !== null) return this.invalidRow(lineNumber, line, problem);
    userAgents?.add(line);
    this.counts.rows++;
    // A bare CR is legal JSON whitespace between tokens (never inside a string), but ends a COPY row.
    if (line.includes('\r')) line = line.replace(/\r/g, ' ');
    return this.fileId + DELIMITER + lineNumber + DELIMITER + line + DELIMITER + DELIMITER + DELIMITER + '\n';
  }

  private tooLong(prefix: Buffer): string {
    const lineNumber = ++this.lineNumber;
    this.counts.lines++;
    // The cut may split a character; its remains are dropped rather than shown as U+FFFD.
    const text = prefix.toString('utf8').replace(/\ufffd+$/, '');
    return this.invalidRow(lineNumber, text, {
      reason: 'line_too_long',
      detail: `longer than ${LINE_LIMITS.maxLineBytes} bytes; the first ${LINE_LIMITS.keptPrefixBytes} are kept`,
    });
  }

  private invalidRow(lineNumber: number, line: string, problem: LineProblem): string {
    this.counts.invalid++;
    return (
      this.fileId +
      DELIMITER +
      lineNumber +
      DELIMITER +
      DELIMITER +
      quoted(line) +
      DELIMITER +
      problem.reason +
      DELIMITER +
      quoted(problem.detail) +
      '\n'
    );
  }
}

/** A csv field that may hold anything but NUL, which text columns cannot store. */
function quoted(text: string): string {
  return QUOTE + text.replaceAll('\u0000', '\ufffd').replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE;
}
