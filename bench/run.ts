/** `npm run bench [-- section...]`: prints figures (timing lives here, never in tests). */
import { command } from '../src/cli/common.js';
import { benchSimulator, type BenchRow } from './simulator.js';

const sections: [string, () => Promise<BenchRow[]>][] = [['simulator', benchSimulator]];
for (const [name, mod] of [
  ['graph', './graph.js'],
  ['learning', './learning.js'],
  ['streamtune', './streamtune.js'],
  ['streamtune-model', './streamtune-model.js'],
  ['streamtune-ged', './streamtune-ged.js'],
  ['calibration', './calibration.js'],
  ['exchange', './exchange.js'],
  ['fuzz', './fuzz.js'],
  ['external', './external.js'],
] as const) {
  sections.push([name, async () => {
    const m = (await import(mod)) as Record<string, () => Promise<BenchRow[]>>;
    // The section's entry point: its bench* export (a module may export helpers too).
    const f = Object.entries(m).find(([k, v]) => k.startsWith('bench') && typeof v === 'function')?.[1] ?? Object.values(m).find((v) => typeof v === 'function');
    return f ? f() : [];
  }]);
}
const names = sections.map(([n]) => n);

const argv = command('bench', `$0 [section...]\n\nPrints timing figures; sections: ${names.join(', ')} (default: all but fuzz, streamtune-model and streamtune-ged).`)
  .command('$0 [sections..]', 'run benchmark sections')
  .positional('sections', { type: 'string', array: true, choices: names, describe: 'sections to run' })
  .parseSync();

const only = (argv.sections as string[] | undefined) ?? [];
for (const [name, run] of sections) {
  if (only.length > 0 ? !only.includes(name) : ['fuzz', 'streamtune-model', 'streamtune-ged'].includes(name)) continue;
  console.log(`\n## ${name}`);
  // A row that is only a `line` prints as it is (a section's closing sentence).
  for (const row of await run()) console.log(Object.keys(row).length === 1 && 'line' in row ? String(row.line) : Object.entries(row).map(([k, v]) => `${k}: ${v}`).join(' | '));
}
