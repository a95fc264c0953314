// The real gdb (/usr/bin/gdb, batch mode) against the RSP server in front of the real machine (src/machine +
// src/vmm). Each test starts its own machine and server on port 0 in-process and points gdb at it.
import { afterEach, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server.js';
import { runGdb, waitFor } from './gdb-runner.js';
import { watchGuest } from './guest.js';

interface Rig {
  machine: Machine;
  vmm: Vmm;
  server: GdbServer;
  port: number;
  elf: string;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    if (r.vmm.running) r.vmm.interrupt();
    await r.server.close();
  }
});

async function rig(mode: 'kvm' | 'bare' = 'kvm', elf = watchGuest()): Promise<Rig> {
  // kvm mode runs with qemu-db-routing=corrected (the default, named here so the rig does not depend on it): under
  // bld-patch (seed 000 as posted) the first software-breakpoint hit on a fresh vCPU also queues a spurious #BP to
  // the guest, exactly as real QEMU with that patch would (stale kvm_run dr6, docs/semantics.md §4 defect 3). That
  // finding is demonstrated once, with real gdb, in test/kvm-scenarios/gdb-spurious-bp.test.ts.
  const machine = Machine.fromFile(elf, { config: mode === 'kvm' ? { mode, qemuDbRouting: 'corrected' } : { mode } });
  const vmm = new Vmm(machine);
  const server = await startGdbServer({ target: vmm, port: 0 });
  const r = { machine, vmm, server, port: server.port, elf };
  rigs.push(r);
  return r;
}

const hex = (v: bigint) => '0x' + v.toString(16);
const regIdx = (vmm: Vmm, name: string) => vmm.registers.findIndex((r) => r.name === name);

/** Lines of `p/x $pc` results ("$N = 0x..."), in order. */
function printed(out: string): string[] {
  return [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]);
}

async function gdb(r: Rig, commands: string[], opts: Parameters<typeof runGdb>[2] = {}) {
  const res = await runGdb(r.port, commands, { file: r.elf, ...opts });
  const all = res.stdout + res.stderr;
  if (res.code !== 0) throw new Error(`gdb exited ${res.code}\n${all}`);
  return all;
}

describe.each(['kvm', 'bare'] as const)('real gdb, %s mode', (mode) => {
  it('connects at the entry point and shows registers, including dr6/dr7 and control registers', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['info registers', 'info registers dr6 dr7 debugctl', 'p/x $cr0', 'p/x $efer', 'p/x $dr7']);
    const entry = r.machine.image.entry;
    expect(out).toMatch(new RegExp(`^rip\\s+${hex(entry)}\\s+${hex(entry)} <_start>`, 'm'));
    for (const reg of ['rax', 'rsp', 'eflags', 'cs', 'ss', 'fs_base']) expect(out).toMatch(new RegExp(`^${reg}\\s+0x`, 'm'));
    const dr6 = r.vmm.readRegister(regIdx(r.vmm, 'dr6'));
    const dr7 = r.vmm.readRegister(regIdx(r.vmm, 'dr7'));
    expect(out).toMatch(new RegExp(`^dr6\\s+${hex(dr6)}\\s`, 'm'));
    expect(out).toMatch(new RegExp(`^dr7\\s+${hex(dr7)}\\s`, 'm'));
    expect(out).toMatch(/^debugctl\s+0x/m);
    const [cr0, efer, pdr7] = printed(out);
    expect(BigInt(cr0) & 0x80000001n).toBe(0x80000001n); // PG and PE: the boot environment is in long mode
    expect(BigInt(efer) & 0x500n).toBe(0x500n); // LME and LMA
    expect(BigInt(pdr7)).toBe(dr7);
  });

  it('disassembles at the pc (x/8i $pc)', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['x/8i $pc']);
    const lines = out.split('\n').filter((l) => /^(=>)?\s+0x[0-9a-f]+ <_start(\+\d+)?>:/.test(l));
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^=> 0x100000 <_start>:\s+mov\s+\$0x[0-9a-f]+,%rsp/);
  });

  it('break + continue stops at main; continuing runs to the guest exit code', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['break main', 'continue', 'p/x $pc', 'info breakpoints', 'continue']);
    expect(out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?main \(\)/);
    const main = r.machine.symbol('main');
    const pc = BigInt(printed(out)[0]);
    expect(pc >= main && pc < main + 16n).toBe(true);
    expect(out).toMatch(/breakpoint already hit 1 time/);
    // exit(7) -> isa-debug-exit status (7 << 1) | 1 = 15; gdb prints exit codes in octal.
    expect(out).toContain('[Inferior 1 (Remote target) exited with code 017]');
  });

  it('hbreak stops at each call of bump with hwbreak', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['hbreak bump', 'continue', 'p counter', 'continue', 'p counter', 'p/x $pc'], { debugRemote: true });
    expect(out).toMatch(/Hardware assisted breakpoint 1 at 0x[0-9a-f]+/);
    // gdb announces a hardware breakpoint hit as "Breakpoint N, ..." like a software one.
    expect(out.match(/\nBreakpoint 1, (0x[0-9a-f]+ in )?bump \(\)/g)).toHaveLength(2);
    expect(printed(out).slice(0, 2)).toEqual(['100', '101']);
    expect(BigInt(printed(out)[2])).toBe(r.machine.symbol('bump'));
    expect(out).toMatch(/Z1,[0-9a-f]+,1/);
    expect(out).toMatch(/T05hwbreak:;thread:01;/);
  });

  it('gdb refreshes its thread list with qXfer:threads:read (one round trip per stop) and shows our thread', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['stepi', 'info threads'], { debugRemote: true });
    expect(out).toMatch(/qXfer:threads:read::0,[0-9a-f]+/);
    expect(out).not.toMatch(/Sending packet: \$qfThreadInfo/);
    // After a stepi the CPU is stopped by gdb, not halted (QEMU: "running" unless the vCPU is in HLT).
    expect(out).toMatch(/^\* 1\s+Thread 1 \(CPU#0 \[running\]\)/m);
  });

  it('next uses vCont;r (range stepping) and ends where it ends with range stepping off', async () => {
    const script = (range: 'on' | 'off') => [`set range-stepping ${range}`, 'hbreak main', 'continue', 'delete', 'next', 'p/x $pc', 'next', 'p/x $pc', 'next', 'p/x $pc', 'p counter'];
    const on = await gdb(await rig(mode), script('on'), { debugRemote: true });
    const off = await gdb(await rig(mode), script('off'), { debugRemote: true });
    expect(on).toMatch(/Sending packet: \$vCont;r[0-9a-f]+,[0-9a-f]+/);
    expect(off).not.toMatch(/vCont;r/);
    const pcsOn = printed(on);
    expect(pcsOn).toHaveLength(4);
    expect(pcsOn).toEqual(printed(off));
    expect(pcsOn[3]).toBe('102'); // two bump() calls stepped over
  });

  it('stepi x N executes exactly one instruction each', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['p/x $pc', 'stepi', 'p/x $pc', 'stepi', 'p/x $pc', 'stepi', 'p/x $pc', 'stepi 2', 'p/x $pc']);
    const pcs = printed(out).map((v) => BigInt(v));
    // _start: mov $stack,%rsp (7 bytes); xor %ebp,%ebp (2); call runtime_init.
    const init = r.machine.symbol('runtime_init');
    expect(pcs.slice(0, 4)).toEqual([0x100000n, 0x100007n, 0x100009n, init]);
    expect(pcs[4]).not.toBe(init);
  });

  it('watch reports Old/New values after each write, with the pc after the store', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['hbreak main', 'continue', 'watch counter', 'continue', 'p/x $pc', 'continue', 'continue', 'p counter']);
    const blocks = out.split('Hardware watchpoint 2: counter').slice(2); // [0] before, [1] the "set" line
    expect(blocks[0]).toMatch(/^\s*\n\s*Old value = 100\nNew value = 101\n/);
    expect(blocks[1]).toMatch(/^\s*\n\s*Old value = 101\nNew value = 102\n/);
    expect(blocks[2]).toMatch(/^\s*\n\s*Old value = 102\nNew value = 7\n/);
    // Trap-like: reported after `mov %rax,counter(%rip)` (7 bytes at bump+11) completed.
    expect(BigInt(printed(out)[0])).toBe(r.machine.symbol('bump') + 0x12n);
    expect(printed(out).at(-1)).toBe('7');
  });

  it('rwatch reports the value read (Z3 falls back to an access watch that gdb filters)', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['hbreak main', 'continue', 'rwatch counter', 'continue', 'p/x $pc', 'bt 1']);
    expect(out).toMatch(/Hardware read watchpoint 2: counter\n\nValue = 100\n/);
    expect(BigInt(printed(out)[0])).toBe(r.machine.symbol('peek') + 7n);
  });

  it('awatch reports reads and writes', async () => {
    const r = await rig(mode);
    const out = await gdb(r, ['hbreak main', 'continue', 'awatch counter', 'continue', 'continue', 'continue']);
    const hits = out.split('Hardware access (read/write) watchpoint 2: counter').slice(2);
    expect(hits[0]).toMatch(/^\s*\n\s*Value = 100\n/); // peek's read
    expect(hits[1]).toMatch(/^\s*\n\s*Value = 100\n/); // bump's read
    expect(hits[2]).toMatch(/^\s*\n\s*Old value = 100\nNew value = 101\n/); // bump's write
  });
});

describe('real gdb: state changes, monitor, interrupt, detach', () => {
  it('set var and register writes reach the machine', async () => {
    const r = await rig();
    r.vmm.pauseOnDetach = true; // --detach-paused: the machine is checked after gdb quits (and detaches)
    const out = await gdb(r, ['set var counter = 41', 'p counter', 'set var $rax = 0x1234', 'p/x $rax', 'set {unsigned char}&sink = 0x5a', 'p/x sink', 'detach']);
    expect(printed(out)).toEqual(['41', '0x1234', '0x5a']);
    const counter = r.machine.symbol('counter');
    expect(Buffer.from(r.vmm.readMemory(counter, 8)!).readBigUInt64LE()).toBe(41n);
    expect(r.vmm.readRegister(regIdx(r.vmm, 'rax'))).toBe(0x1234n);
  });

  it('monitor help, monitor info dr, and a helpful text for unknown commands', async () => {
    const r = await rig();
    const out = await gdb(r, ['monitor help', 'hbreak bump', 'continue', 'monitor info dr', 'monitor frobnicate']);
    expect(out).toContain('info dr');
    expect(out).toContain('info db');
    expect(out).toMatch(/dr7/i);
    expect(out).toMatch(/unknown monitor command: frobnicate/);
    expect(out).toContain('monitor help');
  });

  it('Ctrl-C (SIGINT to gdb) interrupts a spinning guest with SIGINT; with --detach-paused it stays paused for the next session', async () => {
    const r = await rig();
    r.vmm.pauseOnDetach = true;
    let sent = false;
    // gdb -batch abandons the rest of its script after a Ctrl-C, so the checks after the stop are made on the
    // machine and by a second gdb session.
    const res = await runGdb(r.port, ['set var spin_enabled = 1', 'continue'], {
      file: r.elf,
      onSpawn: (child) => {
        void (async () => {
          await waitFor(() => r.vmm.running);
          await new Promise((res) => setTimeout(res, 200)); // let it spin, as a user would
          sent = child.kill('SIGINT');
        })();
      },
    });
    expect(sent).toBe(true);
    expect(res.stdout + res.stderr).toContain('Program received signal SIGINT, Interrupt.');
    await waitFor(() => !r.server.attached);
    expect(r.vmm.running).toBe(false);
    expect(r.vmm.lastStop()).toMatchObject({ kind: 'signal', signal: 2 });
    const spin = r.machine.symbol('spin');
    const pc = r.vmm.readRegister(regIdx(r.vmm, 'rip'));
    expect(pc >= spin && pc < spin + 0x30n).toBe(true);
    const out = await gdb(r, ['p $pc >= spin && $pc < spin + 0x30', 'p sink > 0']);
    expect(printed(out)).toEqual(['1', '1']);
  });

  it('continuing after a Ctrl-C runs on to the guest exit', async () => {
    const r = await rig();
    await runGdb(r.port, ['set var spin_enabled = 1', 'continue'], {
      file: r.elf,
      onSpawn: (child) => {
        void (async () => {
          await waitFor(() => r.vmm.running);
          await new Promise((res) => setTimeout(res, 100));
          child.kill('SIGINT');
        })();
      },
    });
    await waitFor(() => !r.server.attached);
    const out = await gdb(r, ['set var stop_spin = 1', 'continue']);
    expect(out).toContain('exited with code 017');
  });

  it('with --detach-paused, detach leaves the guest paused where it was; a second gdb re-attaches and finishes it', async () => {
    const r = await rig();
    r.vmm.pauseOnDetach = true;
    const first = await gdb(r, ['hbreak bump', 'continue', 'detach']);
    expect(first).toContain('[Inferior 1 (Remote target) detached]');
    await waitFor(() => !r.server.attached);
    expect(r.vmm.running).toBe(false);
    const pc = r.vmm.readRegister(regIdx(r.vmm, 'rip'));
    expect(pc).toBe(r.machine.symbol('bump'));
    // The hardware breakpoint went with the first debugger: the second runs straight to the exit.
    const second = await gdb(r, ['p/x $pc', 'p counter', 'continue']);
    expect(BigInt(printed(second)[0])).toBe(pc);
    expect(printed(second)[1]).toBe('100');
    expect(second).not.toContain('breakpoint');
    expect(second).toContain('exited with code 017');
  });

  it('a second gdb is told why it is refused while the first is attached', async () => {
    const r = await rig();
    // While a first session holds the server (its script sleeps 4 s: less than the 5 s after which a silent
    // holder gives way), a second gdb waits 1.5 s, then its first packet is answered E.<why>.
    const holder = runGdb(r.port, ['shell sleep 4', 'p counter'], { file: r.elf });
    await waitFor(() => r.server.attached);
    const second = await runGdb(r.port, ['p 1'], { file: r.elf, timeoutMs: 20000 });
    const secondOut = second.stdout + second.stderr;
    expect(secondOut).toContain('Remote failure reply: E.dbstub: another debugger is attached');
    const first = await holder;
    expect(first.stdout).toMatch(/\$1 = 100/);
  });
});
