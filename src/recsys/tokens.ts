/**
 * API tokens: `<userId>.<secret>`, shown once at creation; only a scrypt hash of the secret is
 * stored (with its salt), plus a fingerprint: an HMAC-SHA256 of the secret keyed by that salt.
 * Verification is constant-time. scrypt costs ~50 ms by design, so verified tokens are
 * remembered for a while, keyed by a fast hash of the token (never the token itself); the
 * user's row is still read on every request, so a deleted user's token stops working at once.
 *
 * Why a fingerprint: it tells a forged secret from the genuine one in microseconds, so a forgery
 * never costs a scrypt hash, and the bad-token limiter can let a valid token through on a server
 * that never saw it (rate-limit.ts). It gives away nothing scrypt protects: the secret is 256
 * random bits, which no one can find from an HMAC of it either (scrypt's slowness matters for
 * guessable passwords, not for random secrets). Hashes stored before fingerprints existed get
 * theirs the first time their token verifies (users.ts).
 */
import { createHash, createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;
const SECRET_BYTES = 32;

export interface IssuedToken {
  token: string;
  /** What the database keeps: `scrypt$<salt hex>$<hash hex>$<fingerprint hex>`. */
  hash: string;
}

/** A stored hash's parts; `fingerprint` is null in hashes stored before fingerprints existed. */
interface StoredHash {
  salt: Buffer;
  hash: Buffer;
  fingerprint: Buffer | null;
}

function parseStoredHash(stored: string): StoredHash | null {
  const [scheme, saltHex, hashHex, fingerprintHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return null;
  return { salt: Buffer.from(saltHex, 'hex'), hash: Buffer.from(hashHex, 'hex'), fingerprint: fingerprintHex ? Buffer.from(fingerprintHex, 'hex') : null };
}

function fingerprintOf(secret: string, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(secret).digest();
}

export async function issueToken(userId: number): Promise<IssuedToken> {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_LENGTH);
  return { token: `${userId}.${secret}`, hash: `scrypt$${salt.toString('hex')}$${hash.toString('hex')}$${fingerprintOf(secret, salt).toString('hex')}` };
}

/** Splits a presented token; null when it is not of our form. */
export function parseToken(token: string): { userId: number; secret: string } | null {
  const match = /^(\d{1,10})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  if (!match) return null;
  const userId = Number(match[1]);
  return Number.isSafeInteger(userId) && userId > 0 ? { userId, secret: match[2]! } : null;
}

/**
 * Whether `secret` matches `stored`'s fingerprint (microseconds, no scrypt); null when `stored`
 * has no fingerprint (then only scrypt can tell).
 */
export function fingerprintMatches(secret: string, stored: string): boolean | null {
  const parsed = parseStoredHash(stored);
  return parsed === null ? null : parsedFingerprintMatches(secret, parsed);
}

function parsedFingerprintMatches(secret: string, { salt, fingerprint }: StoredHash): boolean | null {
  if (fingerprint === null) return null;
  const actual = fingerprintOf(secret, salt);
  return actual.length === fingerprint.length && timingSafeEqual(actual, fingerprint);
}

/** Whether `secret` is the one `stored` was made from; a forgery is refused by its fingerprint, without scrypt. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed || parsedFingerprintMatches(secret, parsed) === false) return false;
  // scrypt stays the authority: the fingerprint only spares it the forgeries.
  const actual = await scrypt(secret, parsed.salt, parsed.hash.length);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/** `stored` with `secret`'s fingerprint added, for a hash without one; call only once `secret` verified. */
export function withFingerprint(secret: string, stored: string): string {
  const parsed = parseStoredHash(stored);
  return parsed === null || parsed.fingerprint !== null ? stored : `${stored}$${fingerprintOf(secret, parsed.salt).toString('hex')}`;
}

/** Equal-length constant-time comparison of two strings (for the admin token). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** Remembers verified tokens for `ttlMs`, beside the stored hash they were checked against. */
export class VerifiedTokens {
  private readonly entries = new Map<string, { storedHash: string; until: number }>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  private key(token: string): string {
    return createHash('sha256').update(token).digest('base64');
  }

  /**
   * True when `token` was verified against exactly `storedHash` (the user's current hash, just
   * read): a deleted user or a replaced token no longer matches, so it is refused at once.
   */
  verified(token: string, storedHash: string): boolean {
    const entry = this.entries.get(this.key(token));
    return entry !== undefined && entry.until >= Date.now() && entry.storedHash === storedHash;
  }

  remember(token: string, storedHash: string): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(this.key(token), { storedHash, until: Date.now() + this.ttlMs });
  }
}
