// The README's 60-second tour (examples/gdb/tour.gdb): the key lines of the captured output must still be
// what the session prints.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbstub } from '../cli/cli-inproc.js';

describe('README 60-second tour', () => {
  it('tour.gdb prints what the README shows', async () => {
    const r = await dbstub(['session', 'examples/prebuilt/hello.elf', 'examples/gdb/tour.gdb', '--qemu-db-routing', 'corrected']);
    const all = r.stdout + r.stderr;
    expect(r.status, all).toBe(0);
    const readme = readFileSync('README.md', 'utf8');
    for (const line of [
      'dr6            0xffff0ff0          [ RTM BLD ]',
      'dr7            0x400               [ LEN3=0 RW3=0 LEN2=0 RW2=0 LEN1=0 RW1=0 LEN0=0 RW0=0 ]',
      'Breakpoint 1, main () at',
      'Hardware watchpoint 2: xorshift_state',
      'Old value = 2463534242',
      'New value = 2495235968',
      '  dr7 0x0000000000d0060a',
      'dr6=0xffff0ff1 dr7=0x00000602 routing=corrected cap=on claim=hw-breakpoint -> debugger',
      'dr6=0xffff4ff0 dr7=0x00000400 routing=corrected cap=on stepping claim=singlestep -> debugger',
      'dr6=0xffff0ff2 dr7=0x00d0060a routing=corrected cap=on claim=watchpoint -> debugger',
      '[Inferior 1 (Remote target) exited with code 01]',
    ]) {
      expect(all, line).toContain(line);
      expect(readme, line).toContain(line);
    }
  }, 60_000);
});
