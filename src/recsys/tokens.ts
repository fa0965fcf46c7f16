/**
 * API tokens: `<userId>.<secret>`, shown once at creation; only a scrypt hash of the secret is
 * stored (with its salt). Verification is constant-time. scrypt costs ~50 ms by design, so
 * verified tokens are remembered for a while, keyed by a fast hash of the token (never the
 * token itself); the user's row is still read on every request, so a deleted user's token
 * stops working at once.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;
const SECRET_BYTES = 32;

export interface IssuedToken {
  token: string;
  /** What the database keeps: `scrypt$<salt hex>$<hash hex>`. */
  hash: string;
}

export async function issueToken(userId: number): Promise<IssuedToken> {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_LENGTH);
  return { token: `${userId}.${secret}`, hash: `scrypt$${salt.toString('hex')}$${hash.toString('hex')}` };
}

/** Splits a presented token; null when it is not of our form. */
export function parseToken(token: string): { userId: number; secret: string } | null {
  const match = /^(\d{1,10})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  if (!match) return null;
  const userId = Number(match[1]);
  return Number.isSafeInteger(userId) && userId > 0 ? { userId, secret: match[2]! } : null;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = await scrypt(secret, Buffer.from(saltHex, 'hex'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
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
