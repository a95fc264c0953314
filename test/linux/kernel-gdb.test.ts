// Debian's kernel under gdb, kvm mode, Intel (issue 16): the suite's one full Linux boot (the others are
// `npm run linux`). The real gdb is attached over TCP from the first instruction; /init (test/linux/init/init.c)
// reports pid 1, its arguments and uname(2), reads the kernel's #DB handlers from /proc/kallsyms, runs the
// bus-lock rounds below, then Linux 6.1's own selftests of the debug and entry machinery (mov_ss_trap,
// single_step_syscall, syscall_nt, sysret_rip, sigreturn, ldt_gdt, fsgsbase, breakpoints/breakpoint_test)
// with gdb still attached but no breakpoint armed, and powers off through isa-debug-exit.
//
// The bus-lock #DB handler (seed 000): four rounds, each a forked
// child doing one split-locked add at CPL3, and reports how the child ended and what the kernel logged. gdb
// stops at init's buslock_round_marker before each round (a hardware breakpoint on a user-space address, so
// KVM_SET_GUEST_DEBUG is armed and the bus-lock #DB exits to QEMU's kvm_handle_debug) and switches the routing
// with `monitor qemu-db-routing`; before the last round it deletes its breakpoint, so KVM reflects the #DB
// itself as it does with no debugger. What the guest's handler does with each DR6 is Linux 6.1's
// exc_debug_user: DR6.BLD (after debug_read_clear_dr6's inversion) -> handle_bus_lock's warning; no cause at
// all -> the "icebp" case, SIGTRAP; anything else -> nothing. The DR6 each routing gives is docs/semantics.md
// §4's VMX rows (VMX's exit qualification arrives with BLD forced to 1, so no routing can tell a bus lock).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/index.js';
import { Vmm } from '../../src/vmm/index.js';
import { startGdbServer } from '../../src/gdbstub/index.js';
import { runGdb } from '../gdb/gdb-runner.js';
import { planLinux } from '../../src/loader/linux.js';
import { buildSelftestsInitramfs, debianKernel, hasCpio, haveSelftestSources, INIT_ELF, selftestResults, SELFTESTS_64, type SelftestResult } from './initramfs.js';
import { readFileSync } from 'node:fs';

const KERNEL = debianKernel();
const skip = KERNEL === undefined || !hasCpio() || !haveSelftestSources();
if (skip) console.warn('test/linux/kernel-gdb.test.ts: no Debian kernel and linux-source-6.1 in build/linux (node scripts/fetch-linux.mjs --selftests) or no cpio: skipped');

const INIT_EXIT_STATUS = 33;
const SIGTRAP = 5;
/** init's exit through isa-debug-exit as gdb reports it ("exited with code 041"). */
const GDB_EXIT = `exited with code 0${INIT_EXIT_STATUS.toString(8)}]`;
const ROUNDS = [
  { routing: 'pre-patch', guestDr6: 0x00000000 },
  { routing: 'bld-patch', guestDr6: 0x00000800 },
  { routing: 'corrected', guestDr6: 0xffff0ff0 },
] as const;
/** What silicon and KVM without a debugger give the guest for a bus lock (SDM Vol. 3 18.2.3: BLD cleared). */
const SILICON_DR6 = 0xffff07f0;
/** arch/x86/include/uapi/asm/debugreg.h DR6_RESERVED; debug_read_clear_dr6 XORs it in, so BLD (bit 11) reads 1 when set. */
const LINUX_DR6_RESERVED = 0xffff0ff0;
const DR_BUS_LOCK = 0x800;
const DR_STEP = 0x4000;
const DR_TRAP_BITS = 0xf;

/** Linux 6.1 exc_debug_user for a user-mode #DB with this DR6 and no ptrace breakpoints: the bus-lock warning,
 *  a SIGTRAP, or nothing. */
function linuxHandles(guestDr6: number): 'warning' | 'sigtrap' | 'nothing' {
  const dr6 = (guestDr6 ^ LINUX_DR6_RESERVED) >>> 0;
  if (dr6 & DR_BUS_LOCK) return 'warning';
  if (dr6 === 0 || dr6 & (DR_STEP | DR_TRAP_BITS)) return 'sigtrap';
  return 'nothing';
}

/** What each selftest gives under dbstub's kvm mode, Intel, when it is not "exited 0 with no failure line":
 *  the status and the failure lines, each with the reason (docs/boot.md, "Linux's own selftests"). */
const KNOWN: Readonly<Record<string, { status: string; failures: string[]; why: string }>> = {};

interface Session {
  out: string;
  serial: string;
  lines: string[];
  marker: bigint;
  routes: Vmm['routes'];
  selftests: SelftestResult[];
  append: string;
}

describe.skipIf(skip)("Debian's kernel under gdb, kvm mode, Intel: /init, seed 000's routings and Linux's selftests in one boot", () => {
  let s: Session;
  const hex = (v: bigint) => `0x${v.toString(16)}`;

  beforeAll(async () => {
    const initrd = buildSelftestsInitramfs();
    const symbols = execFileSync('nm', [INIT_ELF], { encoding: 'utf8' });
    const initSymbol = (name: string) => BigInt(`0x${new RegExp(`^([0-9a-f]+) [TBD] ${name}$`, 'm').exec(symbols)![1]}`);
    const marker = initSymbol('buslock_round_marker');
    const append = `console=ttyS0 quiet nokaslr -- kallsyms buslock buslock buslock buslock ${SELFTESTS_64.map((t) => `/st/${t.name}`).join(' ')}`;
    const machine = Machine.fromFile(KERNEL!, { config: { mode: 'kvm', vendor: 'intel', busLockDetect: true, memoryMiB: 256, initrd, append } });
    const vmm = new Vmm(machine);
    const server = await startGdbServer({ target: vmm, port: 0 });
    try {
      // The kernel's handlers' addresses come from the guest itself: init read /proc/kallsyms into two of its
      // variables before the first round.
      const kernelSymbol = (name: string) => `*(unsigned long *)${hex(initSymbol(`kallsyms_${name}`))}`;
      const commands = [`hbreak *${hex(marker)}`];
      for (const r of ROUNDS) commands.push('echo @@continue\\n', 'continue', `monitor qemu-db-routing ${r.routing}`);
      commands.push(
        // Round 3 (corrected): the routed #DB enters Linux's user-mode #DB handler noist_exc_debug, where a second hardware breakpoint stops gdb.
        `eval "hbreak *%#lx", ${kernelSymbol('noist_exc_debug')}`,
        'echo @@continue\\n', 'continue', 'monitor info db 2',
        'echo @@continue\\n', 'continue',
        // Round 4: no hardware breakpoint, so KVM reflects the #DB itself; a software breakpoint (int3 only, no
        // #DB interception) in handle_bus_lock shows the kernel reaching its warning.
        'delete',
        `eval "break *%#lx", ${kernelSymbol('handle_bus_lock')}`,
        'echo @@continue\\n', 'continue', 'monitor info db 2',
        // The selftests run with gdb attached and nothing armed, to init's power-off.
        'delete', 'echo @@continue\\n', 'continue',
      );
      // The route log is a ring of the newest 64 exits and the selftests' own #DBs (breakpoint_test alone: over
      // a hundred) would push the rounds out: keep a copy as the last round reports, before the first selftest.
      let roundRoutes: Vmm['routes'] | undefined;
      const watch = setInterval(() => {
        if (roundRoutes === undefined && machine.serialOutput.includes(`bus lock round ${ROUNDS.length + 1}:`)) roundRoutes = [...vmm.routes];
      }, 20);
      const g = await runGdb(server.port, commands, { timeoutMs: 3_000_000 }).finally(() => clearInterval(watch));
      const serial = machine.serialOutput.replace(/\r/g, '');
      s = {
        out: g.stdout + g.stderr,
        serial,
        lines: serial.split('\n').filter((l) => l.startsWith('dbstub-init: ')),
        marker,
        routes: roundRoutes ?? [],
        selftests: selftestResults(serial),
        append,
      };
    } finally {
      if (vmm.running) vmm.interrupt();
      await server.close();
    }
  }, 3_600_000);

  const ctx = () => `${s.serial.slice(-3000)}\n${s.out.slice(-3000)}`;

  it('/init runs as pid 1 with the arguments after "--" and the release of the kernel\'s own header', () => {
    const release = planLinux(new Uint8Array(readFileSync(KERNEL!)), { memorySize: 256 << 20, vendor: 'intel', append: '' }).version.split(' ')[0];
    // nokaslr is read by the decompressor only: the kernel proper does not know the word and passes it on to
    // init before the arguments after "--" (init/main.c unknown_bootoption).
    const args = ['nokaslr', ...s.append.split(' -- ')[1]!.split(' ')];
    expect(s.lines.slice(0, 2), ctx()).toEqual([
      `dbstub-init: pid 1, argc ${args.length + 1} ${args.map((a) => `'${a}'`).join(' ')}`,
      `dbstub-init: uname Linux ${release} x86_64`,
    ]);
    expect(s.lines.at(-1), ctx()).toBe('dbstub-init: exit through isa-debug-exit');
    expect(s.out, ctx()).toContain(GDB_EXIT);
  });

  it('each routing decides what the kernel sees: pre-patch warns by accident (DR6 0 reads as every cause), bld-patch loses the bus lock, corrected turns it into SIGTRAP, no breakpoint gives the warning', () => {
    const { out, lines, marker } = s;
    const kallsyms = /^dbstub-init: kallsyms noist_exc_debug (0x[0-9a-f]+) handle_bus_lock (0x[0-9a-f]+)$/.exec(lines.find((l) => l.startsWith('dbstub-init: kallsyms ')) ?? '');
    expect(kallsyms, ctx()).not.toBeNull();
    const [excDebug, handleBusLock] = [BigInt(kallsyms![1]!), BigInt(kallsyms![2]!)];

    // Where gdb stopped: the marker before rounds 1-3, noist_exc_debug in round 3, the marker before round 4,
    // handle_bus_lock in round 4, then init's exit.
    const stops = out.split('@@continue').slice(1).map((c) => {
      const at = /(0x[0-9a-f]+) in \?\? \(\)/.exec(c)?.[1];
      return at !== undefined ? hex(BigInt(at)) : c.includes(GDB_EXIT) ? 'exit' : '?';
    });
    expect(stops, ctx()).toEqual([marker, marker, marker, excDebug, marker, handleBusLock].map(hex).concat('exit'));
    for (const r of ROUNDS) expect(out).toContain(`qemu-db-routing ${r.routing}`);

    const report = (n: number) => lines.slice(lines.findIndex((l) => l.startsWith(`dbstub-init: bus lock round ${n}:`)));
    const outcome = (handled: ReturnType<typeof linuxHandles>) => (handled === 'sigtrap' ? `child killed by signal ${SIGTRAP}` : 'child exited 0');
    const warning = /^dbstub-init: klog x86\/split lock detection: #DB: init\/\d+ took a bus_lock trap at address: 0x[0-9a-f]+$/;
    ROUNDS.forEach((r, i) => {
      const handled = linuxHandles(r.guestDr6);
      const [head, ...rest] = report(i + 1);
      expect(head, ctx()).toBe(`dbstub-init: bus lock round ${i + 1}: ${outcome(handled)}`);
      const end = rest.findIndex((l) => !l.startsWith('dbstub-init: klog'));
      expect(rest.slice(0, end).filter((l) => warning.test(l)), ctx()).toEqual(handled === 'warning' ? [expect.any(String)] : []);
    });
    // Round 1 also reads the boot's sld_state_show line: Linux turned bus-lock detection on.
    expect(report(1)[1]).toBe('dbstub-init: klog x86/split lock detection: #DB: warning on user-space bus_locks');
    expect(linuxHandles(SILICON_DR6)).toBe('warning');
    const [last, kernelLine] = report(ROUNDS.length + 1);
    expect(last, ctx()).toBe(`dbstub-init: bus lock round ${ROUNDS.length + 1}: child exited 0`);
    expect(kernelLine, ctx()).toMatch(warning);

    // The route log: the three routed bus-lock exits and, without a hardware breakpoint, KVM's own reflection
    // with BLD; `monitor info db` showed the same decisions at the stops in the handlers. (The selftests'
    // own #DBs come after, with no debugger breakpoint armed: KVM reflects them, outside QEMU's routing.)
    // The #DBs that reached the guest: gdb's own stops (the breakpoints, the single-steps over them) reach only gdb.
    const busLocks = s.routes.filter((d) => d.exception === 1 && d.guestDr6 !== undefined);
    const dr6 = (v: number | undefined) => `0x${((v ?? -1) >>> 0).toString(16).padStart(8, '0')}`;
    expect(busLocks.map((d) => `${d.by === 'qemu' ? d.routing : 'kvm'} guest DR6 ${dr6(d.guestDr6)}`), ctx()).toEqual([
      ...ROUNDS.map((r) => `${r.routing} guest DR6 ${dr6(r.guestDr6)}`),
      `kvm guest DR6 ${dr6(SILICON_DR6)}`,
    ]);
    expect(out).toContain(`guest DR6=${dr6(ROUNDS[2].guestDr6)}`);
    expect(out).toContain(`guest DR6=${dr6(SILICON_DR6)}`);
  });

  for (const t of SELFTESTS_64)
    it(`Linux's selftest ${t.name} (${t.source}): ${KNOWN[t.name] ? `${KNOWN[t.name]!.status}, ${KNOWN[t.name]!.why}` : 'exits 0 with no [FAIL] or "not ok" line'}`, () => {
      const r = s.selftests.find((x) => x.name === t.name);
      expect(r, ctx()).toBeDefined();
      const want = KNOWN[t.name] ?? { status: 'exited 0', failures: [] };
      expect({ status: r!.status, failures: r!.failures }, ctx()).toEqual({ status: want.status, failures: want.failures });
      expect(r!.passes).toBeGreaterThan(0);
    });
});
