// Issue 18 item 1: one REP string instruction with a huge count used to freeze the server (Ctrl-C 13 s to
// minutes, SIGINT ignored by `dbstub run`), because a 4096-iteration REP chunk counted as one instruction of
// a 100k-instruction slice. A slice is now bounded by REP work too. The guests are real (test/guest-src/hostile,
// built with gcc); the server is the real CLI in its own process. The 8 s limits only catch the pathological
// case (before the fix a slice of the REP MOVSB guest ran for minutes); latency is measured by `npm run soak`.
import { afterEach, describe, expect, it } from 'vitest';
import { Cli, RawClient, hostileGuest, serve, until } from './cli.js';

const PATHOLOGICAL_MS = 8000;
const clis: Cli[] = [];
afterEach(() => {
  for (const c of clis.splice(0)) c.kill();
});

async function ctrlCStops(guest: string, mode: string): Promise<void> {
  const { cli, port } = await serve(hostileGuest(guest), ['--mode', mode]);
  clis.push(cli);
  const c = await RawClient.connect(port);
  expect(await c.request('?')).toMatch(/^T05/);
  c.packet('c');
  await until(() => cli.stdout.includes(`${guest}: go`), 20_000, 'the guest to start its REP loop');
  await new Promise((r) => setTimeout(r, 200));
  const from = c.data.length;
  c.send('\x03');
  const d = await c.until((x) => /\$T02/.test(x.slice(from)), PATHOLOGICAL_MS, 'the stop reply to Ctrl-C');
  expect(d.slice(from)).toMatch(/\$T02/);
  c.send('+');
  // The guest stopped inside the REP (or the loop around it) and still answers registers.
  expect(await c.request('g')).not.toMatch(/^(E..)?$/);
  c.close();
}

describe('a guest looping over a huge REP string instruction', () => {
  it('Ctrl-C on REP MOVSB (16 MiB per execution, kvm mode) gets its stop reply', async () => {
    await ctrlCStops('rep-movsb', 'kvm');
  });

  it('Ctrl-C on REP STOSB (48 MiB per execution, bare mode) gets its stop reply', async () => {
    await ctrlCStops('rep-stosb', 'bare');
  });

  it('a new debugger is served while the guest runs the REP loop', async () => {
    const { cli, port } = await serve(hostileGuest('rep-stosb'), ['--run']);
    clis.push(cli);
    await until(() => cli.stdout.includes('rep-stosb: go'), 20_000, 'the guest to start its REP loop');
    // Attaching pauses the running guest (as QEMU does) before the first reply.
    const c = await RawClient.connect(port);
    expect(await c.request('?', PATHOLOGICAL_MS)).toMatch(/^T/);
    c.close();
  });

  it('`dbstub run --max-insns 20000000` honours SIGINT (exit 130)', async () => {
    const cli = new Cli(['run', hostileGuest('rep-movsb'), '--max-insns', '20000000']);
    clis.push(cli);
    await until(() => cli.stdout.includes('rep-movsb: go') || cli.exit !== undefined, 20_000, 'the guest to start its REP loop');
    await new Promise((r) => setTimeout(r, 200));
    cli.child.kill('SIGINT');
    expect(await cli.exited(PATHOLOGICAL_MS)).toBe(130);
    expect(cli.stderr).toContain('interrupted');
  });

  it('`dbstub serve` exits on SIGTERM while the guest runs the REP loop', async () => {
    const { cli } = await serve(hostileGuest('rep-movsb'), ['--run']);
    clis.push(cli);
    await until(() => cli.stdout.includes('rep-movsb: go'), 20_000, 'the guest to start its REP loop');
    await new Promise((r) => setTimeout(r, 200));
    cli.child.kill('SIGTERM');
    expect(await cli.exited(PATHOLOGICAL_MS)).toBe(0);
    expect(cli.stderr).toContain('server closed');
  });
});
