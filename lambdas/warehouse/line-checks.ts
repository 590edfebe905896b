import { LINE_LIMITS } from './limits';

/** Why a line gets no payload in raw.events: the quarantine reasons that loading decides. */
export type LineReason =
  'invalid_json' | 'invalid_encoding' | 'line_too_long' | 'too_deeply_nested' | 'number_out_of_range';

export interface LineProblem {
  readonly reason: LineReason;
  readonly detail: string;
}

/** Why PostgreSQL's jsonb would refuse this line, or a limit it breaks; null when it may be loaded. */
export function lineProblem(line: string): LineProblem | null {
  try {
    JSON.parse(line);
  } catch (error) {
    return { reason: 'invalid_json', detail: jsonErrorDetail(line, error as Error) };
  }
  const structure = structureProblem(line);
  if (structure !== null) return structure;
  // Only escapes can smuggle in what jsonb refuses: NUL and unpaired surrogates. Every string of the
  // text is read, not the parsed value: jsonb decodes a key's earlier duplicate too, which JSON.parse
  // drops ({"a":"\u0000","a":1}).
  if (line.includes('\\u') && hasJsonbIncompatibleString(line)) {
    return {
      reason: 'invalid_json',
      detail: 'string holds \\u0000 or an unpaired UTF-16 surrogate, which PostgreSQL jsonb cannot store',
    };
  }
  return null;
}

/**
 * JSON.parse's message, worded the same on Node 20 and Node 24 (the Lambda runtime's), so that the
 * quarantine reads the same whichever Node loaded the file. Node 24 ends it with "(line 1 column N)",
 * which the position says already. And where a line ends too soon, the two V8s do not agree on which
 * of "Unexpected end of JSON input" and what was expected at its last position to say (a line cut
 * after a property name, `{"a":1,"b"`): every error at the end of the line is the former.
 */
export function jsonErrorDetail(line: string, error: Error): string {
  const message = error.message.replace(/ \(line \d+ column \d+\)$/, '');
  const position = / at position (\d+)$/.exec(message);
  return position && Number(position[1]) >= line.length ? 'Unexpected end of JSON input' : message;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Nesting depth and number literals of a line that is valid JSON, in one pass over its text that
 * skips strings. jsonb refuses numbers past its numeric range and overflows its stack on deep
 * nesting; JSON.parse takes both.
 */
export function structureProblem(line: string): LineProblem | null {
  // Most lines can break neither rule, and native string searches show it far faster than a scan.
  if (!mayBeDeep(line) && !WIDE_NUMBER.test(line)) return null;
  let depth = 0;
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(line, i + 1);
    } else if (OPENERS.has(c)) {
      if (++depth > LINE_LIMITS.maxDepth)
        return { reason: 'too_deeply_nested', detail: `nested deeper than ${LINE_LIMITS.maxDepth} levels` };
      i++;
    } else if (CLOSERS.has(c)) {
      depth--;
      i++;
    } else if (c === 0x2d || isDigit(c)) {
      const end = endOfNumber(line, i);
      const problem = numberProblem(line.slice(i, end));
      if (problem !== null) return problem;
      i = end;
    } else {
      i++;
    }
  }
  return null;
}

/**
 * A number (where JSON can start one: the line's start, after `:`, `,` or `[`) with an exponent or
 * 16 digits in a row: only such a number can be out of range or too long. Text inside strings may
 * match too, which costs only a scan.
 */
const WIDE_NUMBER = /(?:^|[:,[])\s*-?(?:\d+(?:\.\d+)?[eE]|\d{16}|\d*\.\d{16})/;

/** More openers than the depth limit, anywhere in the line (strings included): only then can it be too deep. */
function mayBeDeep(line: string): boolean {
  let openers = 0;
  for (const opener of ['{', '[']) {
    for (let i = line.indexOf(opener); i >= 0; i = line.indexOf(opener, i + 1))
      if (++openers > LINE_LIMITS.maxDepth) return true;
  }
  return false;
}

/** The index after the closing quote of the string whose contents start at `from`. */
function endOfString(line: string, from: number): number {
  let i = from;
  for (;;) {
    const quote = line.indexOf('"', i);
    if (quote < 0) return line.length;
    let backslashes = 0;
    while (line.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

function endOfNumber(line: string, from: number): number {
  let i = from + 1;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    // digits, '.', 'e', 'E', '+', '-'
    if (isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) i++;
    else break;
  }
  return i;
}

/** A JSON number literal past LINE_LIMITS: too long, or a magnitude outside [1e-307, 1e308). */
export function numberProblem(literal: string): LineProblem | null {
  if (literal.length > LINE_LIMITS.maxNumberChars) {
    return {
      reason: 'number_out_of_range',
      detail: `a number of ${literal.length} characters (at most ${LINE_LIMITS.maxNumberChars})`,
    };
  }
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (match === null) return null; // not reached for valid JSON
  const [, whole = '', fraction = '', exponent] = match;
  if (exponent === undefined && whole.length <= 15) return null;
  const shift = exponent === undefined ? 0 : Number(exponent);
  const firstWhole = whole.search(/[1-9]/);
  const firstFraction = fraction.search(/[1-9]/);
  // The power of ten of the leading digit: 123.4 -> 2, 0.05 -> -2. Zero has none, but jsonb still
  // refuses a zero with a vast exponent (0e-999999), so its written exponent counts instead.
  const magnitude =
    firstWhole >= 0
      ? whole.length - firstWhole - 1 + shift
      : firstFraction >= 0
        ? -(firstFraction + 1) + shift
        : shift;
  if (Math.abs(magnitude) <= LINE_LIMITS.maxDecimalExponent) return null;
  return {
    reason: 'number_out_of_range',
    detail: `${literal.slice(0, 40)} is outside what a double holds (1e-${LINE_LIMITS.maxDecimalExponent} to 1e${LINE_LIMITS.maxDecimalExponent + 1})`,
  };
}

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unsupportedInJsonb(text: string): boolean {
  return text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);
}

/** Whether any string token of this valid JSON text decodes to what jsonb cannot store. */
function hasJsonbIncompatibleString(line: string): boolean {
  for (let start = line.indexOf('"'); start >= 0;) {
    const end = endOfString(line, start + 1);
    const token = line.slice(start, end);
    if (token.includes('\\u') && unsupportedInJsonb(JSON.parse(token) as string)) return true;
    start = line.indexOf('"', end);
  }
  return false;
}
