// bin/dbstub.js runs the bundled CLI (dist/bundle/, scripts/bundle.mjs) when it is current, dist/ otherwise.
// Both must behave the same: the same run transcript and exit status, the same serve banner and RSP answers.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli, RawClient, ROOT, serve } from '../hostile/cli.js';

const HELLO = join(ROOT, 'examples', 'prebuilt', 'hello.elf');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('the bundled CLI', () => {
  it('is current: `npm run build` bundled what tsc compiled', () => {
    const bundle = statSync(join(ROOT, 'dist', 'bundle', 'cli.js'), { throwIfNoEntry: false });
    expect(bundle, 'dist/bundle/cli.js is missing: run `npm run build`').toBeDefined();
    expect(bundle!.mtimeMs, 'dist/bundle/ is older than dist/cli/main.js: run `npm run build`').toBeGreaterThanOrEqual(statSync(join(ROOT, 'dist', 'cli', 'main.js')).mtimeMs);
  });

  it('runs a guest exactly as dist/ does', async () => {
    const runs = [new Cli(['run', HELLO]), new Cli(['run', HELLO], { DBSTUB_NO_BUNDLE: '1' })];
    cleanups.push(...runs.map((r) => () => r.kill()));
    const [a, b] = await Promise.all(runs.map((r) => r.exited()));
    expect(a).toBe(b);
    expect(runs[0]!.stdout).toBe(runs[1]!.stdout);
    expect(runs[0]!.stdout).toMatch(/hello/i);
  });

  for (const env of [{}, { DBSTUB_NO_BUNDLE: '1' }])
    it(`serves gdb's first packets (${Object.keys(env).length ? 'dist/' : 'bundle'})`, async () => {
      const { cli, port } = await serve(HELLO, ['--no-serial'], env);
      cleanups.push(() => cli.kill());
      const c = await RawClient.connect(port);
      cleanups.push(() => c.close());
      expect(await c.request('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386')).toMatch(/PacketSize=[0-9a-f]+;/);
      expect(await c.request('?')).toMatch(/^T05/);
    });
});
