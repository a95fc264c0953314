// gdb/MI (gdb --interpreter=mi), the protocol IDEs drive gdb with: -target-select, -break-insert -h,
// -exec-continue, -exec-step-instruction, -data-list-register-values, against the server. Every command carries
// a token so its result record (`N^done`, `N^running`, ...) is matched to it; stops are the async `*stopped`.
import { describe, expect, it } from 'vitest';
import { GDB } from './gdb-runner.js';
import { watchGuest } from './guest.js';
import { startInteractive } from './interactive.js';
import { useRigs } from './rig.js';

describe.each(['kvm', 'bare'] as const)('gdb/MI, %s mode', (mode) => {
  const rig = useRigs();

  it('-target-select, -break-insert -h, -exec-continue, -exec-step-instruction, -data-list-register-values', async () => {
    const r = await rig(mode, watchGuest());
    const mi = startInteractive(GDB, ['--interpreter=mi', '-nx', '-q']);
    let token = 0;
    /** Send a tokened MI command; resolve with its result record line once it arrived. */
    const cmd = async (c: string, result = 'done'): Promise<string> => {
      const t = ++token;
      const out = await mi.send(`${t}${c}`, new RegExp(`^${t}\\^(${result}|error)(,.*)?$`, 'm'));
      const line = new RegExp(`^${t}\\^(${result}|error)(,.*)?$`, 'm').exec(out)![0];
      expect(line, c).toMatch(new RegExp(`^${t}\\^${result}`));
      return line;
    };
    const hex = (v: bigint) => '0x' + v.toString(16);
    try {
      await mi.expect(/\(gdb\) \n/);
      await cmd('-gdb-set confirm off');
      await cmd(`-file-exec-and-symbols ${r.elf}`);
      let from = mi.transcript().length;
      await cmd(`-target-select remote 127.0.0.1:${r.port}`, 'connected');
      const first = await mi.expect(/\*stopped,.*\n/, from);
      expect(first).toContain(`frame={addr="0x${r.machine.image.entry.toString(16).padStart(16, '0')}",func="_start"`);

      const bp = await cmd('-break-insert -h bump');
      expect(bp).toMatch(/bkpt=\{number="1",type="hw breakpoint",.*func="bump"/);

      from = mi.transcript().length;
      await cmd('-exec-continue', 'running');
      const hit = await mi.expect(/\*stopped,reason="breakpoint-hit".*\n/, from);
      expect(hit).toContain(`frame={addr="0x${r.machine.symbol('bump').toString(16).padStart(16, '0')}",func="bump"`);

      from = mi.transcript().length;
      await cmd('-exec-step-instruction', 'running');
      const step = await mi.expect(/\*stopped,reason="end-stepping-range".*\n/, from);
      const pc = BigInt(/frame=\{addr="(0x[0-9a-f]+)"/.exec(step)![1]);
      expect(pc).toBeGreaterThan(r.machine.symbol('bump'));

      // Register numbers are gdb's (rax 0 ... rip 16), the order of our target.xml.
      const names = await cmd('-data-list-register-names 0 16 17');
      expect(names).toContain('register-names=["rax","rip","eflags"]');
      const vals = await cmd('-data-list-register-values x 0 16');
      const rax = r.vmm.readRegister(r.vmm.registers.findIndex((d) => d.name === 'rax'));
      expect(vals).toBe(`${token}^done,register-values=[{number="0",value="${hex(rax)}"},{number="16",value="${hex(pc)}"}]`);

      await cmd('-target-detach');
      await cmd('-gdb-exit', 'exit');
    } finally {
      await mi.close();
    }
  });
});
