// Bundle the compiled CLI (dist/cli/main.js and what it imports) into a few files under dist/bundle/, run by
// `npm run build` after tsc. Why: `dbstub serve` loads ~100 ES modules, and Node resolves, opens and links each
// one: ~120 ms of the server's start-up here against ~55 ms for the same code in one file (docs/performance.md,
// "Start-up"). Code splitting keeps main.ts's dynamic imports lazy (the serve banner still prints before the
// machine's modules load). npm packages stay external (loaded from node_modules as before). bin/dbstub.js runs the
// bundle when it is at least as new as dist/cli/main.js, else dist/ itself; DBSTUB_NO_BUNDLE=1 forces dist/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'dist', 'cli', 'main.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir,
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
});
