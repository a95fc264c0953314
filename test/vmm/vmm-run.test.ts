// The Vmm's run loop against the real machine and the real-gdb tests' guest (test/guest-src/gdb/watch/watch.c), without
// the RSP layer: resume after a Ctrl-C, and what happens after a software-breakpoint stop per routing.
import { describe, expect, it } from 'vitest';
import type { QemuDbRouting } from '../../src/config/config.js';
import { BreakpointType, type StopEvent } from '../../src/gdbstub/target.js';
import { Machine } from '../../src/machine/machine.js';
import { registerIndex, Vmm } from '../../src/vmm/index.js';
import { watchGuest } from '../gdb/guest.js';

const RIP = registerIndex('rip');

function resume(vmm: Vmm, kind: 'continue' | 'step'): Promise<StopEvent> {
  return new Promise((res) => vmm.resume({ kind }, res));
}

function poke32(m: Machine, name: string, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  if (!m.cpu.writeVirtual(m.symbol(name), b)) throw new Error(`cannot write ${name}`);
}

function rig(cfg: Record<string, unknown>): { machine: Machine; vmm: Vmm } {
  const machine = Machine.fromFile(watchGuest(), { config: cfg });
  return { machine, vmm: new Vmm(machine) };
}

/** A machine whose guest spins in `spin`, continued and then stopped with a Ctrl-C as the RSP server does. On a
 *  loaded machine 20 ms may end before the guest reaches its loop: continue and stop again until it is there. */
async function stoppedInSpin(mode: 'kvm' | 'bare'): Promise<{ machine: Machine; vmm: Vmm }> {
  const { machine, vmm } = rig({ mode, qemuDbRouting: 'corrected' });
  poke32(machine, 'spin_enabled', 1);
  const spin = machine.symbol('spin');
  for (let tries = 0; tries < 100; tries++) {
    const running = resume(vmm, 'continue');
    await new Promise((r) => setTimeout(r, 20));
    vmm.interrupt();
    await running;
    const pc = vmm.readRegister(RIP)!;
    if (pc >= spin && pc < spin + 0x30n) break;
  }
  return { machine, vmm };
}

describe('Vmm: the CPU halted state gdb shows as the thread\'s "[halted]"', () => {
  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: stopped by the debugger is not halted; stopped while the guest waits in HLT is`, async () => {
      const { machine, vmm } = await stoppedInSpin(mode);
      expect(vmm.running).toBe(false);
      expect(vmm.cpuHalted).toBe(false);
      // cli; hlt at the current RIP: the CPU waits in HLT for an interrupt that cannot come.
      const pc = vmm.readRegister(RIP)!;
      expect(machine.cpu.writeVirtual(pc, Uint8Array.of(0xfa, 0xf4))).toBe(true);
      const run = resume(vmm, 'continue');
      await new Promise((r) => setTimeout(r, 20));
      vmm.interrupt();
      expect(await run).toMatchObject({ kind: 'signal', signal: 2 });
      expect(vmm.readRegister(RIP)).toBe(pc + 2n);
      expect(vmm.cpuHalted).toBe(true);
    });
});

describe('Vmm: resume after an interrupt', () => {
  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: a continue after a Ctrl-C stop runs on to the guest exit`, async () => {
      const { machine, vmm } = rig({ mode, qemuDbRouting: 'corrected' });
      poke32(machine, 'spin_enabled', 1);
      const spin = machine.symbol('spin');
      let pc = 0n;
      // Let a few slices run, then interrupt from the event loop as the RSP server does on 0x03 (again while the
      // guest has not reached its spin loop yet: a loaded machine may need more than 30 ms for its start-up).
      for (let tries = 0; tries < 100 && !(pc >= spin && pc < spin + 0x30n); tries++) {
        const first = resume(vmm, 'continue');
        await new Promise((r) => setTimeout(r, 30));
        expect(vmm.running).toBe(true);
        vmm.interrupt();
        expect(await first).toMatchObject({ kind: 'signal', signal: 2 });
        pc = vmm.readRegister(RIP)!;
      }
      expect(pc >= spin && pc < spin + 0x30n).toBe(true);
      // Before the fix the CPU's stop request was still pending here: this resume stopped at once with SIGINT.
      const retired = machine.cpu.instructionsRetired;
      const second = resume(vmm, 'continue');
      await new Promise((r) => setTimeout(r, 30));
      expect(machine.cpu.instructionsRetired).toBeGreaterThan(retired);
      poke32(machine, 'stop_spin', 1);
      expect(await second).toEqual({ kind: 'exited', code: 15 });
    });

  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: stepi after a Ctrl-C stop executes exactly one instruction`, async () => {
      const { machine, vmm } = await stoppedInSpin(mode);
      const n = machine.cpu.instructionsRetired;
      expect(await resume(vmm, 'step')).toEqual({ kind: 'signal', signal: 5 });
      expect(machine.cpu.instructionsRetired).toBe(n + 1);
    });
});

describe('Vmm kvm mode: stepping off a software breakpoint (stale kvm_run dr6, docs/semantics.md §4 defect 3)', () => {
  // A fresh vCPU's kvm_run area is zero, so the debug.arch.dr6 that the #BP exit leaves unwritten has bit 11 = 0.
  const cases: [QemuDbRouting, boolean][] = [
    ['bld-patch', true],
    ['pre-patch', false],
    ['corrected', false],
  ];
  for (const [qemuDbRouting, spurious] of cases)
    it(`${qemuDbRouting}: first Z0 hit ${spurious ? 'also queues a spurious #BP to the guest' : 'goes to the debugger only'}`, async () => {
      const { machine, vmm } = rig({ mode: 'kvm', qemuDbRouting });
      const main = machine.symbol('main');
      expect(vmm.insertBreakpoint(BreakpointType.Software, main, 1)).toBe('ok');
      expect(await resume(vmm, 'continue')).toEqual({ kind: 'signal', signal: 5, reason: { type: 'swbreak' } });
      expect(vmm.readRegister(RIP)).toBe(main);
      const route = vmm.routes.at(-1)!;
      expect(route).toMatchObject({ by: 'qemu', exception: 3, dr6: 0, claim: 'sw-breakpoint', outcome: spurious ? 'both' : 'debugger' });
      expect(vmm.monitor('info db').includes('spurious #BP')).toBe(spurious);
      vmm.removeBreakpoint(BreakpointType.Software, main, 1);
      await resume(vmm, 'step');
      const pc = vmm.readRegister(RIP)!;
      // The injected #BP vectors through IDT entry 3: the step ends inside the runtime's isr3 stub (16 bytes).
      const isr3 = machine.symbol('isr3');
      if (spurious) expect(pc >= isr3 && pc < isr3 + 16n).toBe(true);
      else expect(pc > main && pc < main + 16n).toBe(true);
      // A #DB exit (the step) has since written dr6 with bit 11 = 1: a second Z0 hit is clean under every routing.
      if (!spurious) {
        const bump = machine.symbol('bump');
        vmm.insertBreakpoint(BreakpointType.Software, bump, 1);
        expect(await resume(vmm, 'continue')).toEqual({ kind: 'signal', signal: 5, reason: { type: 'swbreak' } });
        vmm.removeBreakpoint(BreakpointType.Software, bump, 1);
        expect(await resume(vmm, 'continue')).toEqual({ kind: 'exited', code: 15 });
      }
    });

  it('bld-patch: a Z0 hit after a #DB exit (dr6 bit 11 = 1 in the union) is clean', async () => {
    const { machine, vmm } = rig({ mode: 'kvm', qemuDbRouting: 'bld-patch' });
    // One gdb stepi first: its #DB exit writes debug.arch.dr6 = 0xffff4ff0.
    expect(await resume(vmm, 'step')).toEqual({ kind: 'signal', signal: 5 });
    const main = machine.symbol('main');
    vmm.insertBreakpoint(BreakpointType.Software, main, 1);
    expect(await resume(vmm, 'continue')).toEqual({ kind: 'signal', signal: 5, reason: { type: 'swbreak' } });
    expect(vmm.routes.at(-1)).toMatchObject({ exception: 3, dr6: 0xffff4ff0, outcome: 'debugger' });
    vmm.removeBreakpoint(BreakpointType.Software, main, 1);
    expect(await resume(vmm, 'continue')).toEqual({ kind: 'exited', code: 15 });
  });
});

describe('Vmm.runToCompletion for `dbstub run`', () => {
  it('kvm mode: #DBs go through KVM, progress callback per slice, summary text names the routing', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync('build/guests/kvm/dbchain.elf');
    const machine = new Machine(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { config: { mode: 'kvm', vendor: 'amd', qemuDbRouting: 'corrected' } });
    const b = new Uint8Array(8);
    b[0] = 2; // scenario 2: the guest single-steps itself once
    machine.cpu.writeVirtual(machine.symbol('scenario'), b);
    const vmm = new Vmm(machine);
    const seen: number[] = [];
    const s = await vmm.runToCompletion(Infinity, { onSlice: (n) => seen.push(n) });
    expect(s.result).toEqual({ kind: 'exit', code: 1 });
    expect(s.routes).toMatchObject({ total: 1, byDecider: { kvm: 1 }, byOutcome: { guest: 1 } });
    expect(seen.every((n, i) => i === 0 || n >= seen[i - 1]!)).toBe(true);
    const text = vmm.formatRunSummary(s);
    expect(text).toContain('#DB routing (kvm mode, amd, qemu-db-routing=corrected, exception-payload=on): 1 decision(s)');
    expect(text).toMatch(/by decider: kvm 1\n {2}by outcome: guest 1\n/);
    expect(text).toContain(`#1 kvm exc=1 pc=0x${(machine.symbol('tf_insn') + 1n).toString(16)} payload=0x00004000 cap=on -> guest reinject(vec=1 payload=0x00004000) guest DR6=0xffff4ff0 [svm-db-intercept]`);
  });

  it('kvm mode: a machine interrupt (SIGINT) ends the run as interrupted', async () => {
    const { machine, vmm } = rig({ mode: 'kvm' });
    poke32(machine, 'spin_enabled', 1);
    const p = vmm.runToCompletion();
    await new Promise((r) => setTimeout(r, 20));
    machine.interrupt('SIGINT');
    expect((await p).result).toEqual({ kind: 'interrupted', why: 'SIGINT' });
  });
});

describe('Vmm.readRegisters / readRegisterList (the bulk g read, the stop reply)', () => {
  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: equals readRegister for every register after the guest ran and stopped`, async () => {
      const { machine, vmm } = rig({ mode, qemuDbRouting: 'corrected' });
      // Run a little so RIP, the GPRs, segment and system registers hold guest-written values.
      for (let i = 0; i < 200; i++) await resume(vmm, 'step');
      const bulk = vmm.readRegisters();
      expect(bulk).toHaveLength(vmm.registers.length);
      for (let i = 0; i < vmm.registers.length; i++) expect(bulk[i], vmm.registers[i]!.name).toBe(vmm.readRegister(i));
      expect(bulk[RIP]).toBe(machine.cpu.getRip());
      // The stop reply's list read (one snapshot per group): any subset, in the order asked, the same values.
      const some = [RIP, 7, 0, vmm.registers.length - 1, 3, RIP];
      expect(vmm.readRegisterList(some)).toEqual(some.map((i) => vmm.readRegister(i)));
    });
});

describe('Vmm range stepping (vCont;r)', () => {
  async function toMain(mode: 'kvm' | 'bare', vendor: 'intel' | 'amd' = 'intel') {
    const r = rig({ mode, vendor, qemuDbRouting: 'corrected' });
    const main = r.machine.symbol('main');
    r.vmm.insertBreakpoint(BreakpointType.Hardware, main, 1);
    await resume(r.vmm, 'continue');
    r.vmm.removeBreakpoint(BreakpointType.Hardware, main, 1);
    expect(r.vmm.readRegister(RIP)).toBe(main);
    return { ...r, main };
  }
  const rangeStep = (vmm: Vmm, start: bigint, end: bigint) => new Promise<StopEvent>((res) => vmm.resume({ kind: 'step', range: { start, end } }, res));

  for (const [mode, vendor] of [['kvm', 'intel'], ['kvm', 'amd'], ['bare', 'intel']] as const)
    it(`${mode} (${vendor}): stops at the first pc outside the range, after the same instructions as one stepi at a time`, async () => {
      const a = await toMain(mode, vendor);
      const b = await toMain(mode, vendor);
      const start = a.main;
      const end = a.main + 0x40n; // main's first calls leave this range (into peek)
      const n0 = a.machine.cpu.instructionsRetired;
      expect(await rangeStep(a.vmm, start, end)).toEqual({ kind: 'signal', signal: 5 });
      const pcA = a.vmm.readRegister(RIP);
      // Reference: single steps until the pc leaves [start, end).
      const m0 = b.machine.cpu.instructionsRetired;
      let pcB = b.vmm.readRegister(RIP);
      do {
        await resume(b.vmm, 'step');
        pcB = b.vmm.readRegister(RIP);
      } while (pcB >= start && pcB < end);
      expect(pcA).toBe(pcB);
      expect(pcA < start || pcA >= end).toBe(true);
      expect(a.machine.cpu.instructionsRetired - n0).toBe(b.machine.cpu.instructionsRetired - m0);
      expect(a.machine.cpu.instructionsRetired - n0).toBeGreaterThan(1);
    });

  for (const mode of ['kvm', 'bare'] as const) {
    it(`${mode}: a hardware breakpoint inside the range ends it there`, async () => {
      // Range: main's straight-line tail, from `movq $7, counter(%rip)` (48 c7 05) to main + 0x40.
      const probe = await toMain(mode);
      const code = probe.machine.cpu.readVirtual(probe.main, 0x40)!;
      const at = code.findIndex((_, i) => code[i] === 0x48 && code[i + 1] === 0xc7 && code[i + 2] === 0x05);
      expect(at).toBeGreaterThan(0);
      const start = probe.main + BigInt(at);
      const end = probe.main + 0x40n;
      const stopAt = async () => {
        const r = await toMain(mode);
        r.vmm.insertBreakpoint(BreakpointType.Hardware, start, 1);
        await resume(r.vmm, 'continue');
        r.vmm.removeBreakpoint(BreakpointType.Hardware, start, 1);
        expect(r.vmm.readRegister(RIP)).toBe(start);
        return r;
      };
      // The third instruction of the range, found by stepping another machine.
      const b = await stopAt();
      await resume(b.vmm, 'step');
      await resume(b.vmm, 'step');
      const third = b.vmm.readRegister(RIP);
      expect(third > start && third < end).toBe(true);
      const a = await stopAt();
      expect(a.vmm.insertBreakpoint(BreakpointType.Hardware, third, 1)).toBe('ok');
      const ev = await rangeStep(a.vmm, start, end);
      expect(ev).toMatchObject({ kind: 'signal', signal: 5, reason: { type: 'hwbreak' } });
      expect(a.vmm.readRegister(RIP)).toBe(third);
    });

    it(`${mode}: a watchpoint hit inside the range ends it right after the writing instruction`, async () => {
      const a = await toMain(mode);
      const counter = a.machine.symbol('counter');
      const bump = a.machine.symbol('bump');
      a.vmm.insertBreakpoint(BreakpointType.Hardware, bump, 1);
      await resume(a.vmm, 'continue');
      a.vmm.removeBreakpoint(BreakpointType.Hardware, bump, 1);
      expect(a.vmm.insertBreakpoint(BreakpointType.WriteWatch, counter, 8)).toBe('ok');
      const before = a.machine.cpu.readVirtual(counter, 8)![0];
      await rangeStep(a.vmm, bump, bump + 0x40n);
      // Stopped inside the range, just after counter changed (not at bump's ret or beyond).
      const pc = a.vmm.readRegister(RIP);
      expect(pc > bump && pc < bump + 0x40n).toBe(true);
      expect(a.machine.cpu.readVirtual(counter, 8)![0]).toBe(before! + 1);
    });
  }
});

describe('Vmm.readMemory: one translation per page, same bytes as cpu.readVirtual', () => {
  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: equal for ranges around code, data, page boundaries, the end of RAM and unmapped or non-canonical addresses`, async () => {
      const { machine, vmm } = rig({ mode, qemuDbRouting: 'corrected' });
      for (let i = 0; i < 50; i++) await resume(vmm, 'step'); // some guest state (stack written)
      const ram = BigInt(machine.memory.size);
      const starts = [machine.symbol('main'), machine.symbol('counter'), 0x1000n - 3n, 0xfffn, 0x200000n - 5n, ram - 0x40n, ram - 1n, ram, ram + 0x1000n, 0x7fff_ffff_f000n, 0x8000_0000_0000n, 0xffff_8000_0000_0000n - 8n, 0xffff_ffff_ffff_fff0n];
      const lens = [1, 8, 64, 0x1000, 0x1003, 0x2100];
      let compared = 0;
      for (const a of starts)
        for (const len of lens) {
          const want = machine.cpu.readVirtual(a, len);
          const got = vmm.readMemory(a, len);
          expect(got, `0x${a.toString(16)},${len}`).toEqual(want);
          if (want !== undefined) compared++;
        }
      expect(compared).toBeGreaterThan(20); // most ranges are mapped and really compared byte for byte
    });
});

// QEMU steps with interrupts held off (TCG: SSTEP_NOIRQ; KVM: KVM_GUESTDBG_BLOCKIRQ), so a gdb stepi with an
// interrupt pending executes the next guest instruction instead of entering the interrupt handler.
describe('Vmm: single steps hold maskable interrupts pending', () => {
  for (const mode of ['kvm', 'bare'] as const)
    it(`${mode}: a stepi with IF=1 and a pending self-IPI runs one instruction; the vector stays pending until a continue`, async () => {
      const { machine, vmm } = await stoppedInSpin(mode);
      const lapic = machine.devices.lapic;
      lapic.write(0xf0, 4, 0x1ff);                 // SVR: APIC software-enabled
      lapic.write(0x300, 4, 0x40 | (1 << 18));     // ICR: fixed, vector 0x40, destination shorthand "self"
      machine.cpu.setRflags(machine.cpu.getRflags() | 0x200n);
      expect(lapic.pendingVector()).toBe(0x40);
      const spin = machine.symbol('spin');
      for (let k = 0; k < 3; k++) {
        const n = machine.cpu.instructionsRetired;
        expect(await resume(vmm, 'step')).toEqual({ kind: 'signal', signal: 5 });
        expect(machine.cpu.instructionsRetired).toBe(n + 1);
        const pc = vmm.readRegister(RIP)!;
        expect(pc >= spin && pc < spin + 0x30n, `pc 0x${pc.toString(16)} left the spin loop`).toBe(true);
        expect(lapic.pendingVector()).toBe(0x40);
      }
      // A continue takes it (the runtime's handler for an unexpected vector ends the run).
      const r = await resume(vmm, 'continue');
      expect(machine.cpu.blockInterrupts).toBe(false);
      expect(lapic.pendingVector()).not.toBe(0x40);
      expect(r.kind).not.toBe('signal');
    });
});

