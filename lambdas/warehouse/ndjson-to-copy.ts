import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

export interface InvalidLine {
  lineNumber: number;
  line: string;
  error: string;
}

export interface LineCounts {
  lines: number;
  rows: number;
  invalid: number;
  blank: number;
}

// COPY's csv format with two control characters as quote and delimiter passes JSON through untouched:
// valid JSON never holds a raw control character, while the text format would eat its backslashes.
export const COPY_OPTIONS = `(format csv, delimiter e'\\x02', quote e'\\x01')`;
const DELIMITER = '\x02';
const MAX_KEPT_LINE_CHARS = 1_000_000;

/**
 * Turns NDJSON bytes into COPY rows `(file_id, line_number, payload)`. Lines that are not JSON, or that
 * PostgreSQL's jsonb would refuse, are set aside in `invalidLines` with their number and the reason,
 * so one bad line never fails the file and is never lost.
 */
export class NdjsonToCopyRows extends Transform {
  readonly counts: LineCounts = { lines: 0, rows: 0, invalid: 0, blank: 0 };
  readonly invalidLines: InvalidLine[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private lineNumber = 0;

  constructor(private readonly fileId: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.pending + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.pending = text;
      return callback();
    }
    this.pending = text.slice(lastNewline + 1);
    const out = this.convert(text.slice(0, lastNewline).split('\n'));
    callback(null, out.length > 0 ? out : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    const out = rest.length > 0 ? this.convert([rest]) : '';
    callback(null, out.length > 0 ? out : undefined);
  }

  private convert(lines: string[]): string {
    let out = '';
    for (let line of lines) {
      const lineNumber = ++this.lineNumber;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim().length === 0) {
        this.counts.blank++;
        continue;
      }
      this.counts.lines++;
      const problem = jsonProblem(line);
      if (problem !== null) {
        this.counts.invalid++;
        this.invalidLines.push({ lineNumber, line: line.slice(0, MAX_KEPT_LINE_CHARS), error: problem });
        continue;
      }
      // A bare CR is legal JSON whitespace between tokens (never inside a string), but ends a COPY row.
      if (line.includes('\r')) line = line.replace(/\r/g, ' ');
      this.counts.rows++;
      out += this.fileId + DELIMITER + lineNumber + DELIMITER + line + '\n';
    }
    return out;
  }
}

/** Why PostgreSQL's jsonb would not take this line, or null when it would. */
export function jsonProblem(line: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return (error as Error).message;
  }
  // Only escapes can smuggle in what jsonb refuses: NUL and unpaired surrogates.
  if (line.includes('\\u') && hasJsonbIncompatibleString(value)) {
    return 'string holds \\u0000 or an unpaired UTF-16 surrogate, which PostgreSQL jsonb cannot store';
  }
  return null;
}

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unsupportedInJsonb(text: string): boolean {
  return text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);
}

function hasJsonbIncompatibleString(value: unknown): boolean {
  if (typeof value === 'string') return unsupportedInJsonb(value);
  if (Array.isArray(value)) return value.some(hasJsonbIncompatibleString);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(
      ([key, item]) => unsupportedInJsonb(key) || hasJsonbIncompatibleString(item),
    );
  }
  return false;
}
