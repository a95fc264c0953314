// The debug-register fields and the rules every layer applies to them, in one leaf module (in the spirit of
// QEMU's target/i386/tcg/sysemu/bpt_helper.c): DR7's Ln/Gn, LE/GE, GD, R/Wn and LENn, DR6's B0-B3, BLD,
// BD, BS, BT and RTM with their polarity, and DR6's update when a #DB is delivered. Names follow the SDM
// (Vol. 3B 19.2 "Debug Registers"); the CPU, the KVM model, the VMM, the benches and the tests import them
// from here (through src/cpu/index.ts). No imports: a leaf.

// ---- DR6 (raw register polarity) ----
export const DR6_B0 = 1 << 0;
export const DR6_B1 = 1 << 1;
export const DR6_B2 = 1 << 2;
export const DR6_B3 = 1 << 3;
/** B0-B3: which breakpoint conditions were met (KVM's DR_TRAP_BITS). */
export const DR6_BMASK = 0xf;
/** Bus-lock detected: active-low in DR6 (0 = occurred); 1 = cause in payload format. */
export const DR6_BLD = 1 << 11;
/** "Enabled breakpoint": exists only in the pending-debug-exceptions (payload) format; reads 0 in DR6. */
export const DR6_ENABLED_BP = 1 << 12;
export const DR6_BD = 1 << 13;
export const DR6_BS = 1 << 14;
export const DR6_BT = 1 << 15;
/** RTM: active-low in DR6 (0 = the #DB came from inside an RTM region). */
export const DR6_RTM = 1 << 16;
/** DR6 after reset (SDM Vol. 3A 10.1.1, Table 10-1). */
export const DR6_RESET = 0xffff0ff0;
/** Bits whose DR6 polarity is inverted relative to the payload (KVM's DR6_ACTIVE_LOW): the reserved-1 bits
 *  plus BLD and RTM. Same value as DR6_RESET, different meaning: a mask, not a state. */
export const DR6_ACTIVE_LOW = 0xffff0ff0;
/** Bits software can change in DR6 at most (B0-B3, BLD, BD, BS, BT, RTM; KVM's DR6_VOLATILE). */
export const DR6_VOLATILE = 0x0001e80f;
/** Bits that read 1 for every guest (KVM's DR6_FIXED_1 = ACTIVE_LOW & ~VOLATILE). */
export const DR6_FIXED_1 = (DR6_ACTIVE_LOW & ~DR6_VOLATILE) >>> 0;
/** The cause bits a #DB reports (payload polarity). */
export const DR6_CAUSES = DR6_BMASK | DR6_BLD | DR6_BD | DR6_BS | DR6_BT | DR6_RTM;

// ---- DR7 ----
/** Number of address breakpoint registers (DR0-DR3). */
export const DR_COUNT = 4;
/** The index of DR6 and DR7 (DR4/DR5 alias them when CR4.DE=0). */
export const DR_STATUS = 6;
export const DR_CONTROL = 7;
/** The debug registers a debugger sees, in order: DR0-DR3, DR6, DR7. */
export const DR_NUMBERS: readonly number[] = [0, 1, 2, 3, DR_STATUS, DR_CONTROL];
/** Ln (local enable) and Gn (global enable) of breakpoint n. */
export function dr7L(n: number): number {
  return 1 << (2 * n);
}
export function dr7G(n: number): number {
  return 1 << (2 * n + 1);
}
export const DR7_L0 = 1 << 0;
export const DR7_G0 = 1 << 1;
/** L0-L3 (uapi DR_LOCAL_ENABLE_MASK): what a task switch clears. */
export const DR7_LOCAL_ENABLE_MASK = 0x55;
/** G0-G3. */
export const DR7_GLOBAL_ENABLE_MASK = 0xaa;
/** L0-L3 and G0-G3 (KVM's DR7_BP_EN_MASK). */
export const DR7_ENABLE_MASK = 0xff;
export const DR7_LE = 1 << 8;
export const DR7_GE = 1 << 9;
/** Bit 10 reads 1. */
export const DR7_FIXED_1 = 1 << 10;
export const DR7_RTM = 1 << 11;
export const DR7_GD = 1 << 13;
/** DR7 after reset (SDM Vol. 3A Table 10-1). */
export const DR7_RESET = DR7_FIXED_1;
/** Bits software can change in DR7 (KVM's DR7_VOLATILE). */
export const DR7_VOLATILE = 0xffff2bff;
/** R/Wn is at 16+4n, LENn at 18+4n. */
export const DR7_RW_SHIFT = 16;
export const DR7_LEN_SHIFT = 18;
const DR7_FIELD_STRIDE = 4;
const DR7_FIELD_MASK = 3;
/** R/Wn encodings: instruction execution, data writes, I/O (with CR4.DE), data reads or writes. */
export const DR7_RW_EXEC = 0;
export const DR7_RW_WRITE = 1;
export const DR7_RW_IO = 2;
export const DR7_RW_RW = 3;
/** LENn encodings (10b is 8 bytes in IA-32e mode, SDM 19.2.5). */
export const DR7_LEN_1 = 0;
export const DR7_LEN_2 = 1;
export const DR7_LEN_8 = 2;
export const DR7_LEN_4 = 3;
/** Bytes covered by each LENn encoding. */
export const DR7_LEN_BYTES: readonly number[] = [1, 2, 8, 4];

/** DR7 after a task switch: L0-L3 cleared (SDM Vol. 3B 19.2.4, so a task's local breakpoints do not fire in
 *  another), and LE with them, as KVM's emulator_do_task_switch clears it (uapi DR_LOCAL_SLOWDOWN); G0-G3 kept. */
export function dr7AfterTaskSwitch(dr7: number): number {
  return (dr7 & ~(DR7_LOCAL_ENABLE_MASK | DR7_LE)) >>> 0;
}

/** Breakpoint n is enabled (Ln or Gn set). */
export function dr7Enabled(dr7: number, n: number): boolean {
  return ((dr7 >>> (2 * n)) & (DR7_L0 | DR7_G0)) !== 0;
}
/** The R/Wn field of breakpoint n. */
export function dr7Rw(dr7: number, n: number): number {
  return (dr7 >>> (DR7_RW_SHIFT + DR7_FIELD_STRIDE * n)) & DR7_FIELD_MASK;
}
/** The LENn field of breakpoint n (an encoding; dr7Len gives bytes). */
export function dr7LenField(dr7: number, n: number): number {
  return (dr7 >>> (DR7_LEN_SHIFT + DR7_FIELD_STRIDE * n)) & DR7_FIELD_MASK;
}
/** Bytes breakpoint n covers. */
export function dr7Len(dr7: number, n: number): number {
  return DR7_LEN_BYTES[dr7LenField(dr7, n)]!;
}
/** The LENn encoding for a length in bytes (1, 2, 4 or 8), or undefined. */
export function dr7LenEncoding(bytes: number): number | undefined {
  const e = DR7_LEN_BYTES.indexOf(bytes);
  return e < 0 ? undefined : e;
}
/** The DR7 bits that arm breakpoint n: Gn (global) or Ln, R/Wn and LENn (from a length in bytes). */
export function dr7Breakpoint(n: number, rw: number, lenBytes: number, global: boolean): number {
  const len = dr7LenEncoding(lenBytes) ?? DR7_LEN_1;
  return ((global ? dr7G(n) : dr7L(n)) | (rw << (DR7_RW_SHIFT + DR7_FIELD_STRIDE * n)) | (len << (DR7_LEN_SHIFT + DR7_FIELD_STRIDE * n))) >>> 0;
}

// ---- DR6 rules ----

/**
 * DR6 after the processor reports a #DB with these causes (payload polarity) on top of `dr6`: B0-B3 are
 * replaced by this #DB's matches when it reports a breakpoint, single-step, general-detect, bus-lock or
 * task-switch cause, and left alone otherwise (an ICEBP or an RTM-only #DB: SDM Vol. 3B 19.2.3 "certain
 * debug exceptions may clear bits 0-3"); BD, BS and BT are sticky; BLD is cleared by a bus-lock #DB and
 * otherwise unmodified (AMD APM quote in seed 001: "All other #DB exceptions leave DR6[BLD] unmodified");
 * RTM is cleared for an RTM #DB and set by any other. The same rule gives the SVM VMCB DR6 at a #DB
 * intercept (the hardware writes it as it would DR6).
 */
export function dr6AfterDb(dr6: number, payload: number): number {
  let v = dr6;
  if (payload & (DR6_BMASK | DR6_BS | DR6_BD | DR6_BLD | DR6_BT)) v = (v & ~DR6_BMASK) | (payload & DR6_BMASK);
  v |= payload & (DR6_BD | DR6_BS | DR6_BT);
  if (payload & DR6_BLD) v &= ~DR6_BLD;
  if (payload & DR6_RTM) v &= ~DR6_RTM;
  else v |= DR6_RTM;
  return v >>> 0;
}

/** Payload (pending-debug-exceptions polarity) <-> DR6 polarity for the defined bits. */
export function dr6ToPayload(dr6: number): number {
  return (dr6 ^ DR6_ACTIVE_LOW) >>> 0;
}

/**
 * The DR6 bits a MOV to DR6 can change on this processor (the rest read as DR6_RESET): B0-B3, BD, BS, BT;
 * BLD with bus-lock detect (on AMD only while DEBUGCTL.BUS_LOCK_DETECT is set, APM); RTM with RTM.
 */
export function dr6WritableBits(f: { vendor: 'intel' | 'amd'; busLockDetect: boolean; rtm: boolean; debugctlBusLockDetect: boolean }): number {
  let w = DR6_BMASK | DR6_BD | DR6_BS | DR6_BT;
  if (f.busLockDetect && (f.vendor === 'intel' || f.debugctlBusLockDetect)) w |= DR6_BLD;
  if (f.rtm) w |= DR6_RTM;
  return w;
}
