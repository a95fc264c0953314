// How the interpreter holds 64-bit values in JS numbers. Linear addresses and RIP are numbers holding the
// *signed* canonical value (bits 63:47 equal), exact in a double (|v| < 2^47); registers are 32-bit halves.
// bigint appears only at the API boundary (these converters), never per instruction.

export const TWO32 = 4294967296;
/** 2^47: a linear address v is canonical when -CANON_LIMIT <= v < CANON_LIMIT (SDM Vol. 1 3.3.7.1). */
export const CANON_LIMIT = 140737488355328;

/** Two 32-bit halves -> unsigned 64-bit bigint. */
export function big64(lo: number, hi: number): bigint { return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }
/** Signed canonical number -> bigint (64-bit two's complement). */
export function laToBig(v: number): bigint { return BigInt.asUintN(64, BigInt(v)); }
/** 64-bit bigint -> signed number (exact only if canonical/small). */
export function bigToLa(v: bigint): number { return Number(BigInt.asIntN(64, v)); }
