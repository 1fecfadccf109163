import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../src/core/project.js';
import { experimentJsonSchemaText } from '../../../src/experiment/schema.js';

describe('schema/experiment.schema.json', () => {
  it('is the schema generated from src/experiment/schema.ts (run `npm run schema` after changing a config type)', () => {
    const committed = readFileSync(join(PROJECT_ROOT, 'schema/experiment.schema.json'), 'utf8');
    assert.ok(committed === experimentJsonSchemaText(), 'schema/experiment.schema.json is stale: run `npm run schema`');
  });
});
