import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseScramVerifier, scramSha256Verifier } from '../../../lambdas/warehouse/scram';

// PostgreSQL itself is the reference: it hashes a plain password with a random salt, and the verifier
// built here from the same password, salt and iterations must be the same text.
const role = `scram_test_${process.pid}_${randomBytes(4).toString('hex')}`;
let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create role ${role} nologin`);
});
afterAll(async () => {
  await admin.query(`drop role if exists ${role}`);
  await admin.end();
});

async function postgresVerifier(password: string): Promise<string> {
  await admin.query(`set password_encryption = 'scram-sha-256'`);
  // A plain password in a statement, on purpose: this is the reference the code is checked against.
  await admin.query(`alter role ${role} password '${password.replace(/'/g, "''")}'`);
  const { rows } = await admin.query<{ rolpassword: string }>(
    'select rolpassword from pg_authid where rolname = $1',
    [role],
  );
  return rows[0]?.rolpassword ?? '';
}

test.each([
  ['plain'],
  ['a 32-character generated password'.padEnd(32, 'x')],
  [`punctuation !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~ and spaces`],
])('the verifier of %j equals PostgreSQL 15 own for the same salt and iterations', async (password) => {
  const expected = await postgresVerifier(password);
  expect(expected).toMatch(/^SCRAM-SHA-256\$4096:/);
  const { salt, iterations } = parseScramVerifier(expected);
  expect(salt).toHaveLength(16);
  expect(scramSha256Verifier(password, salt, iterations)).toBe(expected);
});

test('the iteration count and the salt are part of the verifier', () => {
  const salt = Buffer.from('0123456789abcdef');
  const fast = scramSha256Verifier('plain', salt, 1);
  expect(fast).toMatch(/^SCRAM-SHA-256\$1:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  expect(scramSha256Verifier('plain', salt, 2)).not.toBe(fast);
  expect(scramSha256Verifier('plain', Buffer.from('fedcba9876543210'), 1)).not.toBe(fast);
});

test('PostgreSQL stores a verifier as given, whatever password_encryption says', async () => {
  const verifier = scramSha256Verifier('plain');
  await admin.query(`set password_encryption = 'md5'`);
  await admin.query(`alter role ${role} password '${verifier}'`);
  const { rows } = await admin.query('select rolpassword from pg_authid where rolname = $1', [role]);
  expect(rows[0]?.rolpassword).toBe(verifier);
});

test('without a salt each verifier has a new random one', () => {
  const first = parseScramVerifier(scramSha256Verifier('plain'));
  const second = parseScramVerifier(scramSha256Verifier('plain'));
  expect(first.iterations).toBe(4096);
  expect(first.salt).toHaveLength(16);
  expect(first.salt.equals(second.salt)).toBe(false);
});

test('passwords SASLprep would change, and empty ones, are refused with a clear error', () => {
  expect(() => scramSha256Verifier('pässword')).toThrow(/Only ASCII passwords/);
  expect(() => scramSha256Verifier('non\u00a0breaking')).toThrow(/Only ASCII passwords/);
  expect(() => scramSha256Verifier('nul\0inside')).toThrow(/Only ASCII passwords/);
  expect(() => scramSha256Verifier('')).toThrow(/empty/);
  expect(() => scramSha256Verifier('x'.repeat(1025))).toThrow(/longer than/);
  expect(() => scramSha256Verifier('plain', Buffer.alloc(16), 0)).toThrow(/iterations/);
  expect(() => parseScramVerifier('md5abcdef')).toThrow(/Not a SCRAM/);
});
