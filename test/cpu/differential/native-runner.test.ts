// The native half of the differential harness, checked against values computed by hand from the
// SDM, so a broken runner cannot make the differential test vacuous.
import { describe, expect, it } from 'vitest';
import { assembleMany } from '../../../scripts/diff-harness/asm.js';
import { FORMS, generate } from '../../../scripts/diff-harness/gen.js';
import { AF, CF, CODE_ADDR, type CaseInput, OF, PF, SCRATCH_ADDR, SF, ZF, fillWindow } from '../../../scripts/diff-harness/layout.js';
import { hostCanRunNative, runNative } from '../../../scripts/diff-harness/native.js';

const regs = (over: Record<number, bigint>): bigint[] => Array.from({ length: 16 }, (_, i) => over[i] ?? 0x1111111111111111n * BigInt(i));

describe.runIf(hostCanRunNative())('native runner', () => {
  it('runs snippets with the given registers and flags and reports exceptions by vector', () => {
    const asm = ['add eax, ebx', 'div ecx', '.byte 0xf0; add eax, ebx', 'add qword ptr [rsi+8], 3', 'mov rsp, 5; add rsp, rsp', 'stc', 'ud2'];
    const code = assembleMany(asm);
    expect(Buffer.from(code[0]!).toString('hex')).toBe('01d8');
    const base: Omit<CaseInput, 'code'> = { gpr: regs({ 0: 0xdeadbeefffffffffn, 1: 0n, 3: 1n, 4: 0n, 6: BigInt(SCRATCH_ADDR) }), rflags: OF | SF, memSeed: 7n };
    const res = runNative(code.map((c) => ({ ...base, code: c })));
    // add eax, ebx: 0xffffffff + 1 = 0 with CF, ZF, AF, PF; the 32-bit write clears RAX[63:32].
    expect(res[0]!.vector).toBe(-1);
    expect(res[0]!.gpr[0]).toBe(0n);
    expect(res[0]!.rflags & (CF | PF | AF | ZF | SF | OF)).toBe(CF | PF | AF | ZF);
    expect(res[0]!.rip).toBe(BigInt(CODE_ADDR + 2));
    // div ecx with ECX = 0: #DE (vector 0), a fault: RIP at the DIV, nothing changed.
    expect(res[1]!.vector).toBe(0);
    expect(res[1]!.rip).toBe(BigInt(CODE_ADDR));
    expect(res[1]!.gpr).toEqual(base.gpr);
    expect(res[1]!.rflags & (OF | SF)).toBe(OF | SF);
    // LOCK on a register destination: #UD.
    expect(res[2]!.vector).toBe(6);
    // Memory in the window: qword at +8 gets 3 added.
    const w = fillWindow(7n);
    const before = new DataView(w.buffer).getBigUint64(8, true);
    expect(new DataView(res[3]!.mem.buffer, res[3]!.mem.byteOffset).getBigUint64(8, true)).toBe(BigInt.asUintN(64, before + 3n));
    expect(res[3]!.mem.subarray(16)).toEqual(w.subarray(16));
    // RSP is an ordinary register for a snippet.
    expect(res[4]!.gpr[4]).toBe(10n);
    expect(res[5]!.rflags & CF).toBe(CF);
    // A fault with RSP = 0 still reports (signals run on an alternate stack).
    expect(res[6]!.vector).toBe(6);
    expect(res[6]!.gpr[4]).toBe(0n);
  });

  it('the generator is deterministic for a seed and every family assembles and runs without stray faults', () => {
    const a = generate({ seed: 123n, count: 3000 });
    const b = generate({ seed: 123n, count: 3000 });
    expect(a.map((g) => g.asm)).toEqual(b.map((g) => g.asm));
    expect(new Set(a.map((g) => g.family))).toEqual(new Set(FORMS.map((f) => f.family)));
    const code = assembleMany(a.map((g) => g.asm));
    // runNative runs every faulting case again (this host's spurious #UDs do not repeat).
    const res = runNative(a.map((g, i) => ({ gpr: g.gpr, rflags: g.rflags, memSeed: g.memSeed, patch: g.patch, code: code[i]! })));
    const stray: string[] = [];
    res.forEach((r, i) => {
      const g = a[i]!;
      // Only divisions may raise #DE, the LOCK and invalid-opcode tests always raise #UD and only the
      // prefix tests (over 15 bytes) and CMPXCHG16B (misaligned) may raise #GP, the page-crossing tests
      // always raise #PF; any other #PF or #GP would mean the generator
      // addressed memory outside the shared window.
      const ok = g.family === 'lock-ud' || g.family === 'invalid64' ? r.vector === 6 : g.family === 'prefixes' || g.family === 'cmpxchg8b' ? r.vector === -1 || r.vector === 13 : g.family === 'pagecross' ? r.vector === 14 : g.family === 'div' ? r.vector === -1 || r.vector === 0 : r.vector === -1;
      if (!ok) stray.push(`${g.asm}: vector ${r.vector} at rip 0x${r.rip.toString(16)}`);
    });
    expect(stray).toEqual([]);
    // The division generator mostly produces valid divisions but also #DE cases.
    const div = res.filter((_, i) => a[i]!.family === 'div');
    expect(div.filter((r) => r.vector === 0).length).toBeGreaterThan(0);
    expect(div.filter((r) => r.vector === -1).length).toBeGreaterThan(div.length / 2);
  });
});
