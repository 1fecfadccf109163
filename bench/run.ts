/** `npm run bench`: prints figures (timing lives here, never in tests). */
import { benchSimulator, type BenchRow } from './simulator.js';

const sections: [string, () => Promise<BenchRow[]>][] = [['simulator', benchSimulator]];
for (const [name, mod] of [
  ['graph', './graph.js'],
  ['learning', './learning.js'],
  ['streamtune', './streamtune.js'],
  ['calibration', './calibration.js'],
] as const) {
  sections.push([name, async () => {
    const m = (await import(mod)) as Record<string, () => Promise<BenchRow[]>>;
    const f = Object.values(m).find((v) => typeof v === 'function');
    return f ? f() : [];
  }]);
}

const only = process.argv.slice(2);
for (const [name, run] of sections) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  for (const row of await run()) console.log(Object.entries(row).map(([k, v]) => `${k}: ${v}`).join(' | '));
}
