/** `npm run schema`: writes schema/experiment.schema.json from the zod types (do not edit that file by hand). */
import { join } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { writeAtomic } from '../experiment/files.js';
import { experimentJsonSchema } from '../experiment/schema.js';

const out = join(PROJECT_ROOT, 'schema', 'experiment.schema.json');
writeAtomic(out, `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
