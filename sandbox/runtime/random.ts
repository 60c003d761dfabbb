// Math.random seeded per call, so a replay with the same seeds repeats every strategy's draws.
import { MathImul, ObjectDefineProperty } from './intrinsics.ts';

let ra = 0;
let rb = 0;
let rc = 0;
let rd = 0;
// xmur3 string hash feeding sfc32: small, fast, and identical on every machine.
function hashFrom(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h = MathImul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return h;
}
function seedFromHash(h: number): void {
  const next = () => {
    h = MathImul(h ^ (h >>> 16), 2246822507);
    h = MathImul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  ra = next();
  rb = next();
  rc = next();
  rd = next();
}
export function seedRandom(text: string): void {
  seedFromHash(hashFrom(1779033703 ^ text.length, text));
}
// Every call is seeded with "<key>:<minute>": the host computes the four words of that seed
// (sandbox/child/seed.ts, the same xmur3 → sfc32 derivation) and passes them in.
export function seedWords(a: number, b: number, c: number, d: number): void {
  ra = a;
  rb = b;
  rc = c;
  rd = d;
}
function random(): number {
  ra >>>= 0;
  rb >>>= 0;
  rc >>>= 0;
  rd >>>= 0;
  let t = (ra + rb) | 0;
  ra = rb ^ (rb >>> 9);
  rb = (rc + (rc << 3)) | 0;
  rc = (rc << 21) | (rc >>> 11);
  rd = (rd + 1) | 0;
  t = (t + rd) | 0;
  rc = (rc + t) | 0;
  return (t >>> 0) / 4294967296;
}

// Installed when this module is evaluated (see capabilities.ts for why not in a function).
{
  ObjectDefineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });
}
