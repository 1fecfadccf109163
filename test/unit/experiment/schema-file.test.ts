import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../src/core/project.js';
import { experimentJsonSchemaText } from '../../../src/experiment/schema.js';
import { tunerTableText } from '../../../src/report/charts.js';
import { columnTableText, EPISODE_COLUMNS, TIMELINE_COLUMNS } from '../../../src/loop/rows.js';

describe('schema/experiment.schema.json', () => {
  it('is the schema generated from src/experiment/schema.ts (run `npm run schema` after changing a config type)', () => {
    const committed = readFileSync(join(PROJECT_ROOT, 'schema/experiment.schema.json'), 'utf8');
    assert.ok(committed === experimentJsonSchemaText(), 'schema/experiment.schema.json is stale: run `npm run schema`');
  });
});

describe('notebooks/tuners.json', () => {
  it('is the colour table generated from the tuner registry (run `npm run schema` after adding a tuner)', () => {
    const committed = readFileSync(join(PROJECT_ROOT, 'notebooks/tuners.json'), 'utf8');
    assert.ok(committed === tunerTableText(), 'notebooks/tuners.json is stale: run `npm run schema`');
    const table = JSON.parse(committed) as { tuners: { name: string; color: string }[] };
    assert.equal(new Set(table.tuners.map((t) => t.color)).size, table.tuners.length, 'every tuner its own colour');
  });
});

describe('notebooks/columns.json', () => {
  it('is the column table of episodes.csv and timeline.csv (run `npm run schema` after changing a column)', () => {
    const committed = readFileSync(join(PROJECT_ROOT, 'notebooks/columns.json'), 'utf8');
    assert.ok(committed === columnTableText(), 'notebooks/columns.json is stale: run `npm run schema`');
    const table = JSON.parse(committed) as Record<'episodes' | 'timeline', { name: string }[]>;
    assert.deepEqual(table.episodes.map((c) => c.name), [...EPISODE_COLUMNS]);
    assert.deepEqual(table.timeline.map((c) => c.name), [...TIMELINE_COLUMNS]);
  });
});
