/**
 * The house rules of src/, read from the code's own imports: rooms form layers (a room imports only rooms below
 * it, never one above), and no module imports itself back through a chain (no import cycle between files).
 * A new room goes into LAYERS; an import that runs upwards fails here with the file and the import named.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../../src/core/project.js';

const SRC = join(PROJECT_ROOT, 'src');

/** Rooms bottom to top; rooms on one line are peers and never import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['core', 'io'],
  ['graph', 'workloads'],
  ['engines', 'learning'],
  ['history'],
  ['tuners'],
  ['loop'],
  ['calibration', 'corpus', 'oracle'],
  ['experiment'],
  ['report', 'batch'],
  ['paper'],
  ['cli'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs)$/.test(e) && !e.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, type-only and dynamic), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1] as string);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const room = (f: string): string => relative(SRC, f).split('/')[0] as string;
const layerOf = (r: string): number => LAYERS.findIndex((l) => l.includes(r));

describe('src/ layering', () => {
  const all = files(SRC);
  const graph = new Map(all.map((f) => [f, importsOf(f)]));

  it('every room of src/ has a layer', () => {
    const rooms = [...new Set(all.map(room))].filter((r) => !r.includes('.'));
    assert.deepEqual(rooms.filter((r) => layerOf(r) < 0), []);
  });

  it('no room imports a room above it or a peer', () => {
    const bad: string[] = [];
    for (const [f, imps] of graph)
      for (const i of imps) {
        const [a, b] = [room(f), room(i)];
        if (a !== b && layerOf(b) >= layerOf(a)) bad.push(`${relative(SRC, f)} -> ${relative(SRC, i)}`);
      }
    assert.deepEqual(bad, []);
  });

  it('no import cycle between files', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const i of graph.get(f) ?? []) if (graph.has(i)) visit(i, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('the checker sees an upward import (it reads type-only and dynamic imports too)', () => {
    const loop = all.find((f) => relative(SRC, f) === 'loop/loop.ts') as string;
    assert.ok(importsOf(loop).some((i) => room(i) === 'tuners'), 'loop.ts imports tuners/tuner.ts (type-only)');
  });
});
