// Seeded PRNG for the generators (splitmix64: small, fast enough, and identical on every run for a seed).
const M64 = (1n << 64n) - 1n;

export class Rng {
  private s: bigint;
  constructor(seed: bigint | number) {
    this.s = BigInt.asUintN(64, BigInt(seed));
  }
  u64(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & M64;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Number(this.u64() % BigInt(n));
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** Fork an independent stream (so one case's choices never shift another's). */
  fork(): Rng {
    return new Rng(this.u64());
  }
}

export type Size = 8 | 16 | 32 | 64;

export function maskOf(size: Size): bigint {
  return (1n << BigInt(size)) - 1n;
}

export function signed(v: bigint, size: Size): bigint {
  return BigInt.asIntN(size, v);
}

/** A value with the boundary cases of an operand of `size` bits over-represented, placed in a 64-bit
 *  register image whose upper bits are random (so partial-register writes are checked too). */
export function interesting(rng: Rng, size: Size): bigint {
  const m = maskOf(size);
  const top = 1n << BigInt(size - 1);
  let low: bigint;
  switch (rng.int(12)) {
    case 0: low = 0n; break;
    case 1: low = 1n; break;
    case 2: low = m; break; // -1
    case 3: low = top; break; // most negative
    case 4: low = top - 1n; break; // most positive
    case 5: low = BigInt(rng.int(256)); break;
    case 6: low = 1n << BigInt(rng.int(size)); break; // one bit
    case 7: low = (m - BigInt(rng.int(256))) & m; break; // small negative
    case 8: low = (top + BigInt(rng.int(16)) - 8n) & m; break; // around the sign boundary
    default: low = rng.u64() & m;
  }
  if (size === 64) return low;
  const upper = rng.chance(0.8) ? rng.u64() : rng.chance(0.5) ? 0n : M64;
  return (upper & ~m & M64) | low;
}
