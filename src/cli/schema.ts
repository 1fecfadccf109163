/**
 * `npm run schema`: writes schema/experiment.schema.json from the config types, one schema per tuner protocol
 * message under schema/tuner-protocol/, notebooks/tuners.json (the tuners' colours) from the tuner registry and
 * notebooks/columns.json (the episodes.csv and timeline.csv columns) from the column table (src/loop/rows.ts).
 * Do not edit those files by hand.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { writeAtomic } from '../io/files.js';
import { experimentJsonSchemaText } from '../experiment/schema.js';
import { tunerTableText } from '../report/charts.js';
import { columnTableText } from '../loop/rows.js';
import { protocolSchemaTexts } from '../tuners/external/protocol.js';
import { command, EXIT, guard } from './common.js';

command(
  'schema',
  '$0\n\nWrites schema/experiment.schema.json from the config types in src/experiment/schema.ts and schema/tuner-protocol/*.schema.json from the message types in src/tuners/external/protocol.ts.',
).parseSync();

await guard(async () => {
  const out = join(PROJECT_ROOT, 'schema', 'experiment.schema.json');
  writeAtomic(out, experimentJsonSchemaText());
  console.log(`wrote ${out}`);
  const table = join(PROJECT_ROOT, 'notebooks', 'tuners.json');
  writeAtomic(table, tunerTableText());
  console.log(`wrote ${table}`);
  const columns = join(PROJECT_ROOT, 'notebooks', 'columns.json');
  writeAtomic(columns, columnTableText());
  console.log(`wrote ${columns}`);
  const dir = join(PROJECT_ROOT, 'schema', 'tuner-protocol');
  mkdirSync(dir, { recursive: true });
  const texts = protocolSchemaTexts();
  for (const [file, text] of Object.entries(texts)) writeAtomic(join(dir, file), text);
  console.log(`wrote ${Object.keys(texts).length} message schemas in ${dir}`);
  return EXIT.ok;
});
