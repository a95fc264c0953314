// examples/seeds/README.md is the source of truth for this test: every row's command is run through the
// CLI (in-process main(), the code bin/dbstub.js runs) and every line quoted in "What you will see" must
// appear in its output. Editing the table without re-capturing the output makes this fail.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argvOf, dbstub } from '../cli/cli-inproc.js';

interface Row {
  scenario: string;
  command: string;
  expected: string[];
}

function tableRows(md: string): Row[] {
  const rows: Row[] = [];
  for (const line of md.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| Scenario') || line.startsWith('|---')) continue;
    const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
    const ticks = (c: string) => [...c.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const command = ticks(cells[1] ?? '')[0];
    if (!command) continue;
    rows.push({ scenario: cells[0]!, command, expected: ticks(cells[2] ?? '') });
  }
  return rows;
}

const ROWS = tableRows(readFileSync('examples/seeds/README.md', 'utf8'));

describe('examples/seeds/README.md table', () => {
  it('has a row for every seed 000-004, each with expected output', () => {
    for (const seed of ['000', '001', '002', '003', '004']) expect(ROWS.some((r) => r.scenario.startsWith(seed))).toBe(true);
    expect(ROWS.length).toBeGreaterThanOrEqual(15);
    for (const r of ROWS) expect(r.expected.length, r.command).toBeGreaterThan(0);
  });

  for (const row of ROWS)
    it(row.command.replace(/^dbstub /, ''), async () => {
      const r = await dbstub(argvOf(row.command));
      const all = r.stdout + r.stderr;
      // run: the guest's isa-debug-exit status 1 (exit(0)); session: gdb's status 0; seed: 0.
      expect(r.status, all).toBe(row.command.startsWith('dbstub run') ? 1 : 0);
      for (const want of row.expected) expect(all, `missing: ${want}`).toContain(want);
    }, 60_000);
});
