// examples/multiboot/modes: a Multiboot kernel that leaves protected mode for real-address mode
// (--append real) or virtual-8086 mode (--append v86). QEMU runs the 16-bit code (it prints one more
// line and exits through isa-debug-exit); dbstub does not model those modes and must say so, naming the
// mode, after the same protected-mode lines. The QEMU half skips visibly without QEMU.
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_OK_STATUS, ROOT, hasQemu, makeInputs, removeTempDirs, runDbstub, runQemu } from './transcript.js';
import { join } from 'node:path';
import { runGdb } from '../gdb/gdb-runner.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { parseConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';

afterAll(removeTempDirs);
if (!hasQemu) console.warn('test/multiboot/modes.test.ts: qemu-system-x86_64 not found: the QEMU runs are skipped');

const KERNEL = join(ROOT, 'build', 'guests', 'multiboot', 'modes.elf');
const SERIAL = 'serial: lcr=0x3 lsr=0x60 scratch=0x5a';
const CASES = [
  {
    append: 'real',
    announce: 'modes: entering real-address mode (CR0.PE=0)',
    sixteenBit: 'real: 16-bit code running in real-address mode',
    dbstubSays: /unsupported CPU mode: real-address mode \(CR0\.PE=0\) is not modelled/,
  },
  {
    append: 'v86',
    announce: 'modes: entering virtual-8086 mode (IRETD with EFLAGS.VM=1)',
    sixteenBit: 'v86: 16-bit code running in virtual-8086 mode',
    dbstubSays: /unsupported CPU mode: virtual-8086 mode \(IRET to EFLAGS\.VM=1\) is not modelled/,
  },
];

describe('modes kernel: real-address and virtual-8086 mode', () => {
  for (const c of CASES) {
    it(`dbstub --append ${c.append}: the protected-mode lines, then a stop that names the mode`, async () => {
      const inp = { ...makeInputs(64, c.append), modules: [] };
      const r = await runDbstub(KERNEL, inp, 'intel');
      expect(r.lines, r.stderr).toEqual([SERIAL, c.announce]);
      expect(r.stderr).toMatch(c.dbstubSays);
      expect(r.stderr).toMatch(/guest entered an unsupported CPU mode/);
      expect(r.status).toBe(74); // README "Exit codes": unsupported CPU mode, not the Ctrl-C status
      // The machine logs it as a guest fault naming the mode, whichever way the CPU got there.
      const fault = (r.log ?? '').split('\n').filter((l) => l.includes('"unsupported-mode"')).map((l) => JSON.parse(l) as { event: string; detail: string });
      expect(fault.map((f) => f.event)).toEqual(['guest.fault']);
      expect(fault[0]!.detail).toMatch(c.dbstubSays.source.includes('real') ? /real-address/ : /virtual-8086/);
    });
    it.skipIf(!hasQemu)(`qemu -kernel -append ${c.append}: the 16-bit code runs and exits (skips when qemu-system-x86_64 is not installed)`, async () => {
      const inp = { ...makeInputs(64, c.append), modules: [] };
      const r = await runQemu(KERNEL, inp);
      expect(r.lines).toEqual([SERIAL, c.announce, c.sixteenBit]);
      expect(r.status).toBe(EXIT_OK_STATUS);
    });
  }
});

// Under gdb the stop says what happened: SIGILL ("Illegal instruction") at the instruction that would have
// entered the mode, for both modes and both dbstub modes (bare: the CPU's stop; kvm: through the KVM model).
describe('modes kernel under gdb: entering an unsupported mode stops with SIGILL', () => {
  for (const [append, mode] of [['real', 'kvm'], ['v86', 'bare']] as const)
    it(`--append ${append}, ${mode} mode: continue stops with SIGILL, and the server keeps serving`, async () => {
      const config = parseConfig({ vendor: 'intel', append, mode, qemuDbRouting: 'corrected' });
      const s = await startServe({ guest: KERNEL, port: 0, host: '127.0.0.1', run: false, config, logger: silentLogger() });
      try {
        const r = await runGdb(s.server.port, ['continue', 'p/x $pc', 'kill'], { file: KERNEL });
        const out = r.stdout + r.stderr;
        expect(out).toMatch(/Program received signal SIGILL, Illegal instruction\./);
        // The server is still there for the next debugger.
        const again = await runGdb(s.server.port, ['p/x $pc', 'kill'], { file: KERNEL });
        expect(again.stdout + again.stderr).toMatch(/^\$1 = 0x[0-9a-f]+$/m);
      } finally {
        await s.stop();
      }
    });
});

