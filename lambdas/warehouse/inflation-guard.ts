import { Transform, type TransformCallback } from 'node:stream';
import type { FileLimits } from './limits';

/** Why a whole file is refused: it can never load, however often it is tried. */
export type RejectReason =
  | 'truncated_gzip'
  | 'corrupt_gzip'
  | 'not_text'
  | 'file_too_large'
  | 'compression_ratio_too_high'
  | 'too_many_lines'
  | 'rejected_by_database'
  | 'too_many_failures';

export class FileRejection extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'FileRejection';
  }
}

/** Counts the bytes a stream carries; the compressed side of a file. */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/**
 * Passes a file's inflated bytes on while they stay within the limits, and stops the stream with a
 * FileRejection as soon as they do not: more bytes than allowed, a ratio to the compressed bytes no
 * event file has (a gzip bomb), or a NUL byte near the start (not text at all).
 */
export class InflationGuard extends Transform {
  bytes = 0;

  constructor(
    private readonly limits: FileLimits,
    /** The compressed bytes read so far; null for a file that was not compressed. */
    private readonly compressedBytes: (() => number) | null,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const before = this.bytes;
    this.bytes += chunk.length;
    if (before < this.limits.binarySniffBytes) {
      const nul = chunk.subarray(0, this.limits.binarySniffBytes - before).indexOf(0);
      if (nul >= 0)
        return callback(
          new FileRejection(
            'not_text',
            `a NUL byte at offset ${before + nul}: this is not an NDJSON text file`,
          ),
        );
    }
    if (this.bytes > this.limits.maxInflatedBytes) {
      return callback(
        new FileRejection('file_too_large', `more than ${this.limits.maxInflatedBytes} bytes once inflated`),
      );
    }
    const compressed = this.compressedBytes?.() ?? 0;
    if (
      compressed > 0 &&
      this.bytes >= this.limits.ratioCheckAfterBytes &&
      this.bytes / compressed > this.limits.maxCompressionRatio
    ) {
      return callback(
        new FileRejection(
          'compression_ratio_too_high',
          `${compressed} compressed bytes inflated to more than ${this.bytes} (over ${this.limits.maxCompressionRatio}:1): a gzip bomb, not events`,
        ),
      );
    }
    callback(null, chunk);
  }
}

/** A file-level failure that no retry can fix, as a rejection; null for one that a retry may fix. */
export function asRejection(error: unknown): FileRejection | null {
  if (error instanceof FileRejection) return error;
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  // zlib's codes: the stream ended inside a member (truncated), or its bytes are no gzip.
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/.test(text))
    return new FileRejection('truncated_gzip', `the gzip stream ends early: ${text}`);
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new FileRejection('corrupt_gzip', `the gzip stream is damaged: ${text}`);
  // The lines were checked before COPY; a data exception (22) or a program limit (54) that still
  // comes back would come back on every try. Not a malformed COPY stream (22P04): that is this
  // code's fault, and the file is counted as failed instead, to be rejected after a few runs.
  if (typeof code === 'string' && /^(22|54)/.test(code) && code !== '22P04')
    return new FileRejection('rejected_by_database', `PostgreSQL refused the file (${code}): ${text}`);
  return null;
}
