// `dbstub seed <id>`: every scenario of the seed, each run once per switch value, printed side by side: what the
// guest's #DB handler printed, what gdb was told at each stop, and each #DB routing decision. A last line per table
// names the parts the switch changed (the test of the seed commands asserts it is never empty).

import { runSeed, type SeedRun } from './driver.js';
import { SEEDS, type Seed, type SeedScenario } from './scenarios.js';

export const SEED_IDS = SEEDS.map((s) => s.id);

export function findSeed(id: string): Seed | undefined {
  return SEEDS.find((s) => s.id === id || s.id === id.padStart(3, '0'));
}

export interface ScenarioResult {
  scenario: SeedScenario;
  vendor: 'intel' | 'amd';
  runs: SeedRun[];
  /** Parts whose content differs between the columns. */
  changed: ('guest' | 'gdb' | 'routing')[];
}

export async function runSeedScenarios(seed: Seed, vendors?: readonly string[]): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const sc of seed.scenarios)
    for (const vendor of sc.vendors) {
      if (vendors && !vendors.includes(vendor)) continue;
      const runs: SeedRun[] = [];
      for (const col of sc.columns) runs.push(await runSeed(sc.elf, { ...sc.base, vendor, ...col.cfg }, sc.steps, sc.poke));
      const changed = (['guest', 'gdb', 'routing'] as const).filter((k) => new Set(runs.map((r) => r[k].join('\n'))).size > 1);
      out.push({ scenario: sc, vendor, runs, changed });
    }
  return out;
}

const CELL = 46;

function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of line.split(' ')) {
    if (cur && cur.length + 1 + word.length > width) {
      out.push(cur);
      cur = '  ' + word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
}

function cellLines(lines: string[]): string[] {
  if (lines.length === 0) return ['(none)'];
  return lines.flatMap((l) => wrap(l, CELL));
}

export function formatScenario(r: ScenarioResult): string {
  const sc = r.scenario;
  const labels = sc.columns.map((c) => c.label);
  const width = labels.map((l, i) => Math.max(l.length, ...(['guest', 'gdb', 'routing', 'warnings'] as const).flatMap((k) => cellLines(r.runs[i]![k]).map((x) => x.length))));
  const row = (head: string, cells: string[][]): string[] => {
    const n = Math.max(...cells.map((c) => c.length));
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push([(i === 0 ? head : '').padEnd(10), ...cells.map((c, j) => (c[i] ?? '').padEnd(width[j]!))].join(' | ').trimEnd());
    return lines;
  };
  const sep = ['-'.repeat(10), ...width.map((w) => '-'.repeat(w))].join('-+-');
  const out = [
    `${sc.name} (${r.vendor}): ${sc.title}`,
    row('', labels.map((l) => [l]))[0]!,
    sep,
    ...row('guest', r.runs.map((x) => cellLines(x.guest))),
    sep,
    ...(sc.steps.length ? [...row('gdb', r.runs.map((x) => cellLines(x.gdb))), sep] : []),
    ...row('routing', r.runs.map((x) => cellLines(x.routing))),
  ];
  if (r.runs.some((x) => x.warnings.length)) out.push(sep, ...row('warnings', r.runs.map((x) => cellLines(x.warnings))));
  const why = sc.unchanged?.[r.vendor];
  out.push(`=> the switch changes: ${r.changed.length ? r.changed.join(', ') : `nothing${why ? ` (${why})` : ''}`}`);
  return out.join('\n') + '\n';
}

export function formatSeed(seed: Seed, results: ScenarioResult[]): string {
  const head = `seed ${seed.id}: ${seed.title}\nswitch: --${seed.flag}\n`;
  return [head, ...results.map(formatScenario)].join('\n');
}
