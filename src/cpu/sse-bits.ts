// MXCSR fields (SDM Vol. 1 10.2.3, Figure 10-3) and the floating-point encodings SSE produces
// (Vol. 1 4.8.3.7 "QNaN Floating-Point Indefinite", 4.2.2 "Integer indefinite").

/** Exception flags, bits 0-5. */
export const MXCSR_IE = 1 << 0;
export const MXCSR_DE = 1 << 1;
export const MXCSR_ZE = 1 << 2;
export const MXCSR_OE = 1 << 3;
export const MXCSR_UE = 1 << 4;
export const MXCSR_PE = 1 << 5;
/** Denormals-are-zeros. */
export const MXCSR_DAZ = 1 << 6;
/** Exception masks IM..PM are bits 7-12, in flag order: flag << MXCSR_MASK_SHIFT is its mask. */
export const MXCSR_MASK_SHIFT = 7;
export const MXCSR_UM = MXCSR_UE << MXCSR_MASK_SHIFT;
export const MXCSR_OM = MXCSR_OE << MXCSR_MASK_SHIFT;
/** Rounding control, bits 13-14. */
export const MXCSR_RC_SHIFT = 13;
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;
/** Flush-to-zero. */
export const MXCSR_FZ = 1 << 15;
/** Flags of exceptions detected before the computation (SDM Vol. 1 11.5.2.1): an unmasked one stops the
 *  instruction before the post-computation ones (OE, UE, PE) are even looked at. */
export const MXCSR_PRE = MXCSR_IE | MXCSR_DE | MXCSR_ZE;

/** QNaN floating-point indefinite: binary32, and the high dword of binary64 (low dword 0). */
export const F32_INDEFINITE = 0xffc00000 | 0;
export const F64_INDEFINITE_HI = 0xfff80000 | 0;
/** The quiet bit of a NaN's significand: binary32, and in the high dword of binary64. */
export const F32_QUIET = 0x00400000;
export const F64_QUIET_HI = 0x00080000;
