import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default salt length for a SCRAM secret (SCRAM_DEFAULT_SALT_LEN). */
const SALT_BYTES = 16;
/** PostgreSQL refuses longer passwords (MAX_PASSWORD_LENGTH in saslprep.c). */
const MAX_PASSWORD_LENGTH = 1024;

/** What PostgreSQL recognises as a SCRAM-SHA-256 secret: anything else it would hash as a password. */
export const SCRAM_VERIFIER =
  /^SCRAM-SHA-256\$[1-9][0-9]*:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/;

/**
 * The SCRAM-SHA-256 secret PostgreSQL stores for `password` (pg_authid.rolpassword), as its
 * scram_build_secret() makes it: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64,
 * with SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations), ClientKey and ServerKey the
 * HMACs of "Client Key" and "Server Key" under it, and StoredKey = SHA-256(ClientKey) (RFC 5802,
 * RFC 7677). `alter role ... password '<secret>'` stores such a secret as given, so the password
 * itself never reaches the server, nor its logs.
 *
 * Written here because no library this project uses builds one: `pg` has SCRAM client code (it
 * answers the server's challenge while connecting) but exports no function that makes a verifier.
 *
 * SASLprep: PostgreSQL normalizes a password with SASLprep (RFC 4013) before hashing it, except that
 * an ASCII password is used as it is (pg_saslprep returns pure ASCII unchanged). The passwords this
 * project generates are ASCII, so SASLprep is the identity for them; anything else is refused rather
 * than hashed in a way that might differ from the server's.
 */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(SALT_BYTES),
  iterations = 4096,
): string {
  if (password === '') throw new Error('A SCRAM verifier needs a password: it is empty');
  if ([...password].some((char) => char === '\0' || char.charCodeAt(0) > 0x7f))
    throw new Error(
      'Only ASCII passwords are supported (without NUL): SASLprep is then the identity; generate the password with ASCII characters only',
    );
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new Error(`The password is longer than PostgreSQL's limit of ${MAX_PASSWORD_LENGTH} characters`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`SCRAM iterations must be a positive integer, got ${iterations}`);
  if (salt.length === 0) throw new Error('A SCRAM verifier needs a salt: it is empty');

  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'ascii'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The salt and iteration count of a SCRAM-SHA-256 secret, e.g. one read from pg_authid. */
export function parseScramVerifier(verifier: string): { iterations: number; salt: Buffer } {
  if (!SCRAM_VERIFIER.test(verifier)) throw new Error('Not a SCRAM-SHA-256 secret');
  const [, iterations = '', salt = ''] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(verifier) ?? [];
  return { iterations: Number(iterations), salt: Buffer.from(salt, 'base64') };
}
