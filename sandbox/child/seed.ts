// The per-minute seed of a team's Math.random, computed on the host: xmur3 over
// "<randomKey>:<minute>" feeding sfc32's four words, the same numbers runtime/random.ts's
// seedRandom derives from that text. The key's part of the hash is computed once per team; a call
// hashes only the minute's digits, in compiled host code rather than in the isolate's cold code.

/** sfc32's four state words. */
export type SeedWords = [number, number, number, number];

function hashFrom(start: number, text: string): number {
  let h = start;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return h;
}

function wordsOf(hash: number): SeedWords {
  let h = hash;
  const next = (): number => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  return [next(), next(), next(), next()];
}

/** The words seedRandom(text) would set. */
export function seedWordsOf(text: string): SeedWords {
  return wordsOf(hashFrom(1779033703 ^ text.length, text));
}

/** Epoch milliseconds from 2001-09-09 to 2286-11-20 have 13 digits: every minute a competition will see. */
const MINUTE_DIGITS = 13;

/** A team's seeds by minute; `keyHash` is the hash of "<key>:" for texts of a 13-digit minute. */
export class MinuteSeeds {
  readonly #key: string;
  readonly #keyHash: number;

  constructor(randomKey: string) {
    this.#key = randomKey;
    this.#keyHash = hashFrom(1779033703 ^ (randomKey.length + 1 + MINUTE_DIGITS), `${randomKey}:`);
  }

  /** The words for `seedRandom(key + ':' + minute)`. */
  at(minute: number): SeedWords {
    const digits = String(minute);
    return digits.length === MINUTE_DIGITS ? wordsOf(hashFrom(this.#keyHash, digits)) : seedWordsOf(`${this.#key}:${digits}`);
  }
}
