// Bundle the compiled CLI (dist/cli/main.js and what it imports) into a few files under dist/bundle/, run by
// `npm run build` after tsc. Why: `dbstub serve` loads ~100 ES modules, and Node resolves, opens and links each
// one: ~120 ms of the server's start-up here against ~55 ms for the same code in one file (docs/performance.md,
// "Start-up"). Code splitting keeps main.ts's dynamic imports lazy (the serve banner still prints before the
// machine's modules load). npm packages but pino stay external (loaded from node_modules as before). bin/dbstub.js runs the
// bundle when it is at least as new as dist/cli/main.js, else dist/ itself; DBSTUB_NO_BUNDLE=1 forces dist/.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
// pino is bundled: as its own ~20 files it cost ~26 ms of the server's start-up, after the banner but before gdb's
// first packet can be answered. The other packages load from node_modules (yargs, yaml, pino-pretty, iced-x86 only
// on paths that need them; pino's transports, which resolve worker files on disk, are not used).
const BUNDLED = new Set(['pino']);
const deps = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'dist', 'cli', 'main.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: deps.filter((d) => !BUNDLED.has(d)),
  outdir,
  chunkNames: 'chunk-[hash]',
  // pino is CommonJS and require()s Node's built-ins; an ES module has no `require`, so each chunk gets one.
  banner: { js: "import { createRequire as __dbstubCreateRequire } from 'node:module';\nconst require = __dbstubCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
