// Differential property test of the debug unit (issue 19): every memory-access path of the CPU must report data
// breakpoints exactly as the reference engine does (CpuOptions.engine 'reference': generic decoded handlers, no
// fast.ts forms, the segment checks and the debug-unit check on every access, no block compiler). Random
// instruction streams (test/cpu/jit/gen.ts: the engines' mix plus memoryPathForm's string instructions, PUSH/POP,
// CALL/RET, ENTER/LEAVE, far JMP/LRETQ/IRETQ, segment loads, SGDT/LGDT/SIDT/LIDT/STR, INT n through an IST gate,
// CMPXCHG/XADD/XCHG/BTS, moffs, XLAT) run on the reference engine, the interpreter and the block compiler in
// lockstep slices, with DR0-DR3 armed by fast-check: every R/W and LEN encoding, local or global, at addresses
// that overlap what the programs touch (data area, both stacks, GDT, IDT gates, TSS, the code the streams rewrite).
// After every slice the three must agree on the stop, every register, instructions retired, DR6/DR7 and the #DB
// sequence (payload, RIP and DR6 at each #DB); at the end on the memory the programs reach. Both vendors.
//
// Accesses the CPU makes to the GDT, IDT and TSS on its own (descriptor loads, gate reads, the IST slot) do not
// reach the debug unit on any engine (src/cpu/memory-access.ts sysRd32/sysWr32); the breakpoints armed on those
// tables check that every engine agrees on that, and catch explicit accesses (SGDT/LGDT) to the same bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Vendor } from '../../../src/cpu/api.js';
import { DR7_LEN_BYTES, DR7_RESET, DR_CONTROL, DR_COUNT, dr7Breakpoint } from '../../../src/cpu/index.js';
import { asm } from '../support/asm.js';
import { DATA_SPAN, memoryPathForm, program, Rng } from '../jit/gen.js';
import { bytesDiffer, CODE, DATA, GDT, IDT, IST_STACK, makeEngineMachine, snapshot, STACK, TSS, VEC_INT_IST, type EngineMachine } from '../jit/machine.js';

const PROGRAMS = Number(process.env.DB_DIFF_PROGRAMS ?? 16);
const RUNS = Number(process.env.DB_DIFF_RUNS ?? 40);
/** Per case: the programs retire ~500-800 instructions; a #DB loop on a stack slot is cut here. */
const MAX_INSNS = 3000, MAX_DBS = 200;

/** Regions a breakpoint may cover: [base, span) in linear (= physical) addresses. */
const REGIONS: readonly { name: string; base: number; span: number }[] = [
  { name: 'data', base: DATA, span: DATA_SPAN + 8 },
  { name: 'stack', base: STACK - 0x80, span: 0x80 },
  { name: 'ist-stack', base: IST_STACK - 0x30, span: 0x30 },
  { name: 'gdt', base: GDT, span: 0x18 },
  { name: 'idt', base: IDT, span: 0x20 }, // #DE and #DB gates
  { name: 'idt-int', base: IDT + VEC_INT_IST * 16, span: 0x20 }, // the two INT n gates
  { name: 'tss', base: TSS, span: 0x68 },
  { name: 'code', base: CODE, span: 0x400 },
];

interface DrArm { on: boolean; global: boolean; rw: number; len: number; region: number; off: number }
const drArb: fc.Arbitrary<DrArm> = fc.record({
  on: fc.boolean(),
  global: fc.boolean(),
  rw: fc.integer({ min: 0, max: 3 }), // 00 execute, 01 write, 10 I/O (CR4.DE=0: no breakpoint), 11 read/write
  len: fc.integer({ min: 0, max: 3 }), // 00 1 byte, 01 2, 10 8, 11 4 (SDM Vol. 3 18.2.4)
  region: fc.integer({ min: 0, max: REGIONS.length - 1 }),
  off: fc.nat({ max: 0x3ff }),
});

function armAll(ms: EngineMachine[], drs: readonly DrArm[]): void {
  let dr7 = DR7_RESET;
  for (const m of ms) for (let n = 0; n < DR_COUNT; n++) m.cpu.setDr(n, 0n);
  drs.forEach((d, n) => {
    if (!d.on) return;
    const reg = REGIONS[d.region]!;
    const addr = BigInt(reg.base + (d.off % reg.span));
    for (const m of ms) m.cpu.setDr(n, addr);
    dr7 |= dr7Breakpoint(n, d.rw, DR7_LEN_BYTES[d.len]!, d.global);
  });
  for (const m of ms) m.cpu.setDr(DR_CONTROL, BigInt(dr7 >>> 0));
}

const describeDr = (drs: readonly DrArm[]): string =>
  drs.map((d, n) => (d.on ? `DR${n} ${REGIONS[d.region]!.name}+0x${(d.off % REGIONS[d.region]!.span).toString(16)} rw${d.rw} len${d.len}${d.global ? ' G' : ' L'}` : '')).filter(Boolean).join(', ');

const code = new Map<number, { bytes: Uint8Array; regs: bigint[] }>();
function programCode(k: number): { bytes: Uint8Array; regs: bigint[] } {
  let c = code.get(k);
  if (!c) {
    const p = program(19_000 + k, 28, 10, { form: memoryPathForm, share: 0.45 });
    c = { bytes: asm(p.source, CODE), regs: p.regs };
    code.set(k, c);
  }
  return c;
}

/** Memory the programs and their interrupts reach: the page tables are not written, the rest is compared. */
const COMPARED: readonly [number, number][] = [[GDT, 0x3000], [CODE, 0x1000], [DATA, DATA_SPAN + 16], [STACK - 0x1000, 0x1000], [IST_STACK - 0x1000, 0x1000]];

/** Run one program on the three engines in lockstep; returns the #DB count (for the coverage check). */
function runCase(vendor: Vendor, prog: number, drs: readonly DrArm[], sliceSeed: number, hotJit: boolean): number {
  const { bytes, regs } = programCode(prog);
  const ref = makeEngineMachine('reference', bytes, regs, vendor);
  const others = [makeEngineMachine('interp', bytes, regs, vendor), makeEngineMachine('jit', bytes, regs, vendor)];
  if (hotJit) (others[1]!.cpu as unknown as { jit: { hot: number } }).jit.hot = 1;
  armAll([ref, ...others], drs);
  const r = new Rng(sliceSeed);
  const ctx = (slice: number, engine: string, what: string): string =>
    `${vendor} program ${prog} [${describeDr(drs)}] slice seed ${sliceSeed}${hotJit ? ' hot' : ''}, slice ${slice}, ${engine}: ${what}`;
  // A breakpoint on the stack slots a #DB frame is pushed to re-triggers from its own delivery (or, read by the
  // handler's IRETQ, forever: why Linux refuses breakpoints on entry stacks): bounded by instructions and #DBs.
  for (let slice = 0, seen = 0; slice < 400 && ref.cpu.instructionsRetired < MAX_INSNS && seen < MAX_DBS; slice++) {
    const budget = r.chance(0.3) ? 1 + r.int(8) : 1 + r.int(300);
    const sr = ref.cpu.run(budget);
    const want = snapshot(ref, sr, seen);
    const wantData = ref.mem.readPhys(DATA, DATA_SPAN + 16);
    for (const [i, m] of others.entries()) {
      const engine = i === 0 ? 'interp' : 'jit';
      const got = snapshot(m, m.cpu.run(budget), seen);
      if (got !== want) expect(got, ctx(slice, engine, 'state, DR6 or #DB sequence')).toBe(want);
      const at = bytesDiffer(wantData, m.mem.readPhys(DATA, DATA_SPAN + 16));
      if (at >= 0) expect.fail(ctx(slice, engine, `data byte ${at} differs`));
    }
    seen = ref.dbEvents.length;
    if (sr.kind !== 'budget') break;
  }
  for (const [base, len] of COMPARED) {
    const want = ref.mem.readPhys(base, len);
    for (const m of others) {
      const at = bytesDiffer(want, m.mem.readPhys(base, len));
      if (at >= 0) expect.fail(`${vendor} program ${prog} [${describeDr(drs)}]: memory at 0x${(base + at).toString(16)} differs at the end`);
    }
  }
  return ref.dbEvents.length;
}

describe('debug unit: every memory-access path reports data breakpoints as the reference engine does', () => {
  it('the streams reach the paths named above (assembled, with far transfers, INT n and string forms)', () => {
    const src = Array.from({ length: PROGRAMS }, (_, k) => program(19_000 + k, 28, 10, { form: memoryPathForm, share: 0.45 }).source).join('\n');
    for (const form of ['rep movs', 'rep stos', 'cmps', 'scas', 'lods', 'std', 'pushw', 'call *', 'enter', 'ljmpl', 'lretq', 'iretq', 'int $0x80', 'int $0x81', 'sgdt', 'lidt', 'cmpxchg8b', 'xchg', 'bts', 'movabs', 'xlatb'])
      expect(src, form).toContain(form);
  });

  for (const vendor of ['intel', 'amd'] as const)
    it(`${vendor}: ${RUNS} random programs x DR0-DR3 armings, interp and jit against reference`, { timeout: 300_000 }, () => {
      let dbs = 0;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: PROGRAMS - 1 }),
          fc.tuple(drArb, drArb, drArb, drArb),
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.boolean(),
          (prog, drs, sliceSeed, hot) => { dbs += runCase(vendor, prog, drs, sliceSeed, hot); },
        ),
        { numRuns: RUNS, seed: Number(process.env.DB_DIFF_SEED ?? (vendor === 'intel' ? 19 : 1919)) },
      );
      // The armings must actually fire: a run where no breakpoint ever hit would compare nothing of the debug unit.
      expect(dbs).toBeGreaterThan(RUNS);
    });
});
