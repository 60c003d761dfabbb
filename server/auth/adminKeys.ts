import { createHash, timingSafeEqual } from 'node:crypto';

/** Shorter admin keys are refused at start: they are the keys to every team. */
export const MIN_ADMIN_KEY_LENGTH = 32;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export interface AdminKeyMatch {
  /** Names the admin key in audit events without revealing it: the start of its SHA-256. */
  actor: string;
}

/**
 * The admin keys from QTC_ADMIN_KEYS. Only their SHA-256 digests are kept, and a presented key
 * is compared with every one of them through `timingSafeEqual` on equal-length digests, without
 * stopping at the first match: the time taken says nothing about how close a guess was or
 * which key matched.
 */
export class AdminKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  match(candidate: string): AdminKeyMatch | undefined {
    const presented = digest(candidate);
    let matched: Buffer | undefined;
    for (const stored of this.digests) {
      if (timingSafeEqual(presented, stored)) matched = stored;
    }
    return matched && { actor: `admin:${matched.toString('hex').slice(0, 8)}` };
  }
}
