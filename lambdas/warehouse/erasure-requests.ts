/**
 * Erasure on AWS: a request file under ERASURE_REQUEST_PREFIX in the landing bucket, carried out by the
 * next run's first step (lambdas/handlers/erase-requested.ts). Dependency-free, so that the CDK app
 * names the prefix without loading the database driver.
 *
 *   s3://<landing bucket>/erasure-requests/<a name that names no one>.json
 *   {"userId": "u_123", "requestedBy": "privacy ticket 4711"}
 */
export const ERASURE_REQUEST_PREFIX = 'erasure-requests/';

/** One run carries out at most this many requests: each reads raw once, well inside a Lambda's 15 minutes. */
export const ERASURES_PER_RUN = 20;

/** A request is a small JSON object; anything bigger is not one. */
export const REQUEST_MAX_BYTES = 64 * 1024;
/** Why a request over REQUEST_MAX_BYTES is refused, read or not. */
export const TOO_LARGE = `larger than ${REQUEST_MAX_BYTES} bytes`;

const FIELDS = new Set(['userId', 'requestedBy']);

export type ParsedRequest =
  | { readonly ok: true; readonly userId: string; readonly requestedBy: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a request file's body. Reasons never quote the body: it holds the id being erased, and the
 * reason is kept in ops.erasure_requests and shown by `status`. `requestedBy` defaults to the file.
 */
export function parseErasureRequest(body: string, objectKey: string): ParsedRequest {
  if (Buffer.byteLength(body, 'utf8') > REQUEST_MAX_BYTES) return { ok: false, reason: TOO_LARGE };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // The parser's message quotes the text, which may be the id.
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'not a JSON object' };
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !FIELDS.has(name));
  if (unknown.length > 0)
    return {
      ok: false,
      reason: `unknown field ${unknown.map((name) => JSON.stringify(name.slice(0, 40))).join(', ')}: a request has userId and, optionally, requestedBy`,
    };
  const { userId, requestedBy } = fields;
  if (typeof userId !== 'string' || userId.trim() === '')
    return { ok: false, reason: 'userId must be a non-empty string' };
  if (userId.length > 256) return { ok: false, reason: 'userId is longer than 256 characters' };
  if (requestedBy !== undefined && (typeof requestedBy !== 'string' || requestedBy.length > 200))
    return { ok: false, reason: 'requestedBy must be a string of at most 200 characters' };
  return { ok: true, userId, requestedBy: requestedBy || `request file ${objectKey}` };
}
