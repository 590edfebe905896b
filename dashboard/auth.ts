import { createHash, timingSafeEqual } from 'node:crypto';

/** Shorter tokens are refused: with 16 random characters, guessing over HTTP is hopeless. */
export const MIN_TOKEN_LENGTH = 16;

/** What a 401 asks for; browsers show their login prompt for it, once, and resend it on each fetch. */
export const AUTHENTICATE = 'Basic realm="saas-pipeline dashboard", charset="UTF-8"';

/**
 * Why a token cannot be used, or undefined when it can. It must also survive both ways of sending it:
 * a Bearer token has no spaces, and Basic credentials are only reliably the same bytes in ASCII.
 */
export function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `is shorter than ${MIN_TOKEN_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'holds spaces or characters other than printable ASCII';
  return undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether the presented token is the expected one, in time that depends on neither: both are hashed
 * first, so timingSafeEqual always compares 32 bytes, and not even the token's length leaks.
 */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The token an Authorization header carries: the password of HTTP Basic credentials (the user name
 * is ignored) or a Bearer token. Undefined for anything else, including no header at all.
 */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  const space = value.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = value.slice(0, space).toLowerCase();
  const credentials = value.slice(space + 1).trim();
  if (scheme === 'bearer') return credentials;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  // The user name ends at the first colon; the password may hold more of them.
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
