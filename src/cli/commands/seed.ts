// `dbstub seed <id>`: run one seed's scenarios with its switch off and on (both vendors where they differ) and print,
// side by side, what the guest's #DB handler and gdb saw and how each #DB was routed (src/seeds/).

import type { Argv } from 'yargs';
import { findSeed, formatSeed, runSeedScenarios, SEED_IDS } from '../../seeds/report.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { CliCommand } from './index.js';

interface SeedArgs {
  id: string;
  vendor?: string;
  [k: string]: unknown;
}

export const seedCommand: CliCommand = {
  command: 'seed <id>',
  describe: `run a seed scenario (${SEED_IDS.join(', ')}; examples/seeds/README.md) with its switch off and on and print the results side by side`,
  builder: (y: Argv) =>
    y
      .positional('id', { type: 'string', describe: `seed number: ${SEED_IDS.join(', ')}`, demandOption: true })
      .option('vendor', { type: 'string', choices: ['intel', 'amd'], describe: 'only the runs of this vendor [default: every vendor the seed differs on]', requiresArg: true })
      .epilog(`Needs the seed guests (npm run build:guests). Exit status: 0; ${EXIT.USAGE} unknown seed; ${EXIT.NO_INPUT} a guest is not built.`),
  handler: async (raw) => {
    const argv = raw as SeedArgs;
    const seed = findSeed(String(argv.id));
    if (!seed) throw new CliError(`unknown seed ${JSON.stringify(argv.id)}; valid: ${SEED_IDS.join(', ')}`, EXIT.USAGE);
    const results = await runSeedScenarios(seed, argv.vendor ? [argv.vendor] : undefined);
    process.stdout.write(formatSeed(seed, results));
  },
};
