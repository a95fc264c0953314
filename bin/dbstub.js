#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to dist/ by `npm run build` (run by `npm install` through
// `prepare`), which also bundles it into dist/bundle/ (scripts/bundle.mjs: start-up time). The bundle runs when it
// is at least as new as dist/cli/main.js (a bare `tsc` leaves it stale, and dist/ then wins); DBSTUB_NO_BUNDLE=1
// runs dist/ always.
import { statSync } from 'node:fs';

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = !process.env.DBSTUB_NO_BUNDLE && mtime('../dist/bundle/cli.js') >= mtime('../dist/cli/main.js');
let cli;
try {
  cli = await (bundled ? import('../dist/bundle/cli.js') : import('../dist/cli/main.js'));
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist[\\/](cli[\\/]main|bundle[\\/]cli)\.js/.test(String(err.message))) {
    console.error('dbstub: dist/ is missing; run `npm install` (or `npm run build`) first');
    process.exit(70);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
