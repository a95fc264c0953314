#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to dist/ by `npm run build` (run by `npm install` through `prepare`).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main\.js/.test(String(err.message))) {
    console.error('dbstub: dist/ is missing; run `npm install` (or `npm run build`) first');
    process.exit(70);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
