/** `npm run schema`: writes schema/experiment.schema.json from the zod types (do not edit that file by hand). */
import { join } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { writeAtomic } from '../experiment/files.js';
import { experimentJsonSchemaText } from '../experiment/schema.js';
import { command, EXIT, guard } from './common.js';

command('schema', '$0\n\nWrites schema/experiment.schema.json from the config types in src/experiment/schema.ts.').parseSync();

await guard(async () => {
  const out = join(PROJECT_ROOT, 'schema', 'experiment.schema.json');
  writeAtomic(out, experimentJsonSchemaText());
  console.log(`wrote ${out}`);
  return EXIT.ok;
});
