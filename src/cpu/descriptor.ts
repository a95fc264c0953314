// Segment and gate descriptors as the GDT/LDT/IDT hold them (SDM Vol. 3 3.4.5, 3.5, 6.11): segment register
// indices, type bits and the decoders from the two descriptor dwords to the SegmentState packing of api.ts.
// A leaf module (no CPU imports).

/** Segment register indices (the Sreg field encoding of MOV Sreg, SDM Vol. 2 MOV: ES CS SS DS FS GS). */
export const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;

/** Descriptor type bits for code/data segments (S=1), SDM Vol. 3 3.4.5.1, Table 3-1. */
export const DESC_ACCESSED = 1;
export const DESC_WRITABLE = 2;      // data: writable; code: readable
export const DESC_READABLE = 2;
export const DESC_EXPAND_DOWN = 4;   // data
export const DESC_CONFORMING = 4;    // code
export const DESC_CODE = 8;

/** System descriptor types outside IA-32e mode (SDM Vol. 3 Table 3-2). */
export const SYS_TSS16_AVAIL = 0x1, SYS_TSS16_BUSY = 0x3, SYS_TASK_GATE = 0x5;
export const SYS_INT_GATE16 = 0x6, SYS_TRAP_GATE16 = 0x7;
export const SYS_TSS32_AVAIL = 0x9, SYS_TSS32_BUSY = 0xb;
export const SYS_INT_GATE32 = 0xe, SYS_TRAP_GATE32 = 0xf;

/** G (granularity) in the descriptor's high dword: the 20-bit limit counts 4 KiB units (SDM Vol. 3 3.4.5). */
const DESC_HI_G = 1 << 23;

/** Attributes in the api.ts SegmentState packing (type/S/DPL/P in 7:0, AVL/L/D/G in 11:8) from the high dword. */
export function attrsOf(dHi: number): number { return ((dHi >>> 8) & 0xff) | (((dHi >>> 20) & 0xf) << 8); }
/** 32-bit base from both dwords (base 15:0 in the low dword, 23:16 and 31:24 in the high one). */
export function baseOf(dLo: number, dHi: number): number { return ((dLo >>> 16) | ((dHi & 0xff) << 16) | (dHi & 0xff000000)) >>> 0; }
/** Byte-granular limit from both dwords, scaled by G. */
export function limitOf(dLo: number, dHi: number): number {
  let l = (dLo & 0xffff) | (dHi & 0xf0000);
  if (dHi & DESC_HI_G) l = ((l << 12) | 0xfff) >>> 0;
  return l >>> 0;
}
