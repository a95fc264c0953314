// examples/multiboot/modes: a Multiboot kernel that leaves protected mode for real-address mode
// (--append real) or virtual-8086 mode (--append v86), where 16-bit code prints one line and exits through
// isa-debug-exit. dbstub models both modes (src/cpu/mode8086.ts), so its transcript and status equal QEMU's;
// the QEMU half checks that reference and skips visibly without QEMU.
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
  },
  {
    append: 'v86',
    announce: 'modes: entering virtual-8086 mode (IRETD with EFLAGS.VM=1)',
    sixteenBit: 'v86: 16-bit code running in virtual-8086 mode',
  },
];

describe('modes kernel: real-address and virtual-8086 mode', () => {
  for (const c of CASES) {
    for (const vendor of ['intel', 'amd'] as const)
      it(`dbstub --append ${c.append} (${vendor}): the 16-bit code runs and exits as under QEMU`, async () => {
        const inp = { ...makeInputs(64, c.append), modules: [] };
        const r = await runDbstub(KERNEL, inp, vendor);
        expect(r.lines, r.stderr).toEqual([SERIAL, c.announce, c.sixteenBit]);
        expect(r.status).toBe(EXIT_OK_STATUS);
        expect(r.stderr).not.toMatch(/unsupported CPU mode/);
      });
    it.skipIf(!hasQemu)(`qemu -kernel -append ${c.append}: the 16-bit code runs and exits (skips when qemu-system-x86_64 is not installed)`, async () => {
      const inp = { ...makeInputs(64, c.append), modules: [] };
      const r = await runQemu(KERNEL, inp);
      expect(r.lines).toEqual([SERIAL, c.announce, c.sixteenBit]);
      expect(r.status).toBe(EXIT_OK_STATUS);
    });
  }
});

// Under gdb both modes run to the guest's exit, in both dbstub modes (bare: the CPU alone; kvm: through the
// KVM model).
describe('modes kernel under gdb', () => {
  for (const [append, mode] of [['real', 'kvm'], ['v86', 'bare'], ['real', 'bare'], ['v86', 'kvm']] as const)
    it(`--append ${append}, ${mode} mode: continue runs the 16-bit code to the guest's exit`, async () => {
      const config = parseConfig({ vendor: 'intel', append, mode, qemuDbRouting: 'corrected' });
      const s = await startServe({ guest: KERNEL, port: 0, host: '127.0.0.1', run: false, config, logger: silentLogger() });
      try {
        const r = await runGdb(s.server.port, ['continue'], { file: KERNEL });
        expect(r.stdout + r.stderr).toMatch(/\[Inferior 1 \(Remote target\) exited with code 041\]/);
      } finally {
        await s.stop();
      }
    });
});
