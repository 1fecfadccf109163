/**
 * `npm run schema`: writes schema/experiment.schema.json from the zod types and notebooks/tuners.json (the tuners'
 * colours) from the tuner registry. Do not edit either by hand.
 */
import { join } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { writeAtomic } from '../io/files.js';
import { experimentJsonSchemaText } from '../experiment/schema.js';
import { tunerTableText } from '../report/charts.js';
import { command, EXIT, guard } from './common.js';

command('schema', '$0\n\nWrites schema/experiment.schema.json from the config types in src/experiment/schema.ts.').parseSync();

await guard(async () => {
  const out = join(PROJECT_ROOT, 'schema', 'experiment.schema.json');
  writeAtomic(out, experimentJsonSchemaText());
  console.log(`wrote ${out}`);
  const table = join(PROJECT_ROOT, 'notebooks', 'tuners.json');
  writeAtomic(table, tunerTableText());
  console.log(`wrote ${table}`);
  return EXIT.ok;
});
