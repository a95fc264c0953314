// User errors and hostile input files against the real CLI (issue 18 items 8-11, issue 15's `--append "-foo"`):
// each is one clear line and a documented exit status, never a stack trace, never a hang.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli, ROOT, hostileGuest, serve } from './cli.js';

const HELLO = join(ROOT, 'examples', 'prebuilt', 'hello.elf');
const PM32 = join(ROOT, 'build', 'guests', 'multiboot', 'pm32.elf');
const tmp = mkdtempSync(join(tmpdir(), 'dbstub-cli-errors-'));
const clis: Cli[] = [];
afterEach(() => {
  for (const c of clis.splice(0)) c.kill();
});

async function dbstub(args: string[], ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new Cli(args);
  clis.push(cli);
  const code = await cli.exited(ms);
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}
/** No Node stack frame in what the user sees. */
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .+[:(]\d+/m);

describe('command line', () => {
  it('--append "-foo": a value that starts with "-" reaches the kernel command line', async () => {
    const r = await dbstub(['run', PM32, '--append', '-foo']);
    expect(r.stdout).toContain(`mb: cmdline="${PM32} -foo"`);
    noStack(r.stderr);
  });

  it('--append with no value is a usage error (64), not a stack trace', async () => {
    const r = await dbstub(['run', PM32, '--append']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('dbstub: Not enough arguments following: append');
    noStack(r.stderr);
  });

  it('config keys named after Object.prototype members are unknown keys (64)', async () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const f = join(tmp, `proto-${key}.json`);
      writeFileSync(f, `{ "${key}": { "memoryMiB": 32 } }`);
      const r = await dbstub(['run', HELLO, '--config', f]);
      expect(r.code, key).toBe(64);
      expect(r.stderr).toContain(`unknown config key "${key}"`);
      noStack(r.stderr);
    }
  });
});

describe('listening', () => {
  it('an empty --host is refused (64): it would mean every interface', async () => {
    const r = await dbstub(['serve', HELLO, '--host', '']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--host is empty');
  });

  it('a port in use is one line and exit 69', async () => {
    const taken = net.createServer();
    await new Promise<void>((res) => taken.listen(0, '127.0.0.1', res));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await dbstub(['serve', HELLO, '--port', String(port)]);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      noStack(r.stderr);
    } finally {
      taken.close();
    }
  });

  it('an address not on this host and an unresolvable name are usage errors (64)', async () => {
    const a = await dbstub(['serve', HELLO, '--host', '192.0.2.1']); // TEST-NET-1 (RFC 5737): never local
    expect(a.code).toBe(64);
    expect(a.stderr).toContain('--host 192.0.2.1 is not an address of this machine');
    noStack(a.stderr);
    const b = await dbstub(['serve', HELLO, '--host', 'no-such-host.invalid']); // .invalid never resolves (RFC 2606)
    expect(b.code).toBe(64);
    expect(b.stderr).toContain('no such host name');
    noStack(b.stderr);
  });

  it('binding every interface warns and prints a hint gdb can use', async () => {
    const { cli, port } = await serve(HELLO, ['--host', '0.0.0.0']);
    clis.push(cli);
    expect(cli.stderr).toContain('WARNING: listening on every network interface');
    expect(cli.stderr).toContain(`target remote 127.0.0.1:${port}`);
  });
});

describe('hostile guest and config files', () => {
  it('a FIFO as the guest or as --config is refused at once (66), not waited on', async () => {
    const fifo = join(tmp, 'guest.fifo');
    execFileSync('mkfifo', [fifo]);
    const g = await dbstub(['run', fifo]);
    expect(g.code).toBe(66);
    expect(g.stderr).toContain(`guest ${fifo} is a FIFO`);
    const c = await dbstub(['run', HELLO, '--config', fifo]);
    expect(c.code).toBe(66);
    expect(c.stderr).toContain(`--config file ${fifo} is a FIFO`);
  });

  it('/dev/zero as the guest is refused (66) instead of read forever', async () => {
    const r = await dbstub(['run', '/dev/zero']);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('guest /dev/zero is a character device');
  });

  it('a guest file larger than guest RAM is refused (65)', async () => {
    const big = join(tmp, 'big.elf');
    copyFileSync(HELLO, big);
    execFileSync('truncate', ['-s', '65M', big]); // sparse: 65 MiB > the default 64 MiB of RAM
    const r = await dbstub(['run', big]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/guest .*big\.elf is 68157440 bytes, more than guest RAM \(--memory 64\)/);
  });

  it('overlapping PT_LOAD segments are refused (65), as QEMU refuses overlapping ROM regions', async () => {
    // A real guest with its second PT_LOAD moved onto the first one's physical address.
    const bytes = readFileSync(hostileGuest('rep-movsb'));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const phoff = Number(dv.getBigUint64(0x20, true));
    const phentsize = dv.getUint16(0x36, true);
    const phnum = dv.getUint16(0x38, true);
    const loads = [];
    for (let i = 0; i < phnum; i++) if (dv.getUint32(phoff + i * phentsize, true) === 1) loads.push(phoff + i * phentsize);
    expect(loads.length).toBeGreaterThanOrEqual(2);
    dv.setBigUint64(loads[1]! + 0x18, dv.getBigUint64(loads[0]! + 0x18, true), true); // p_paddr
    const f = join(tmp, 'overlap.elf');
    writeFileSync(f, bytes);
    const r = await dbstub(['run', f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/PT_LOAD segments at physical 0x[0-9a-f]+\.\.0x[0-9a-f]+ and 0x[0-9a-f]+\.\.0x[0-9a-f]+ overlap/);
  });
});
