/**
 * Counter-based randomness for the market simulator: every stream of numbers is named by a key
 * (seed, purpose, symbol, date…), hashed to a 128-bit state, so any symbol's day can be generated
 * alone, in any order, and come out the same. The generator is sfc32 (Chris Doty-Humphrey's "small
 * fast chaotic" generator from PractRand), which passes PractRand and runs on 32-bit integer ops.
 * Written here rather than taken from a package: the packages seed from one 32-bit number, and
 * 32-bit seeds collide within a few hundred thousand symbol-days.
 */

/** A 128-bit hash of a key: four 32-bit lanes of multiply-xor mixing with a murmur3 finaliser. */
export function hashKey(key: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ c, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ c, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ c, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ c, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_TO_32 = 4_294_967_296;

export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | null = null;

  /** Parts are joined with a separator that cannot occur in symbols or dates. */
  constructor(...keyParts: readonly (string | number)[]) {
    [this.#a, this.#b, this.#c, this.#d] = hashKey(keyParts.join('\u001f'));
    // The first outputs of sfc32 still echo the seed; discarding a few is the usual remedy.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on the open interval (0, 1): never 0 or 1, so its logarithm is always finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / TWO_TO_32;
  }

  /** Uniform on [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal, by the Box–Muller transform (two per pair of uniforms). */
  normal(): number {
    const spare = this.#spareNormal;
    if (spare !== null) {
      this.#spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
