/**
 * The experiment file: types with documented defaults (declared once, here) -> JSON Schema
 * (schema/experiment.schema.json, `npm run schema`) -> validated at load, unknown keys rejected.
 */
import { z } from 'zod';
import { BOUNDS as B } from '../core/bounds.js';
import { ENGINE_KINDS, engineConfig } from '../engines/registry.js';
import { TUNERS } from '../tuners/registry.js';
import { loopConfig, sloConfig } from '../loop/config.js';
import { ratesConfig, workloadConfig } from '../workloads/config.js';

export const outputsConfig = z.strictObject({
  dir: z.string().min(1).max(B.pathLength).default('results').describe('Parent folder of results/<name>/<run-id>/'),
  charts: z.boolean().default(true).describe('Write Vega-Lite specs with SVG and PNG renderings'),
  png: z.boolean().default(true).describe('Also render PNGs'),
  history: z.boolean().default(true).describe('Write history.csv (per-operator windows for StreamTune pre-training)'),
});

const tunerShape = Object.fromEntries(
  Object.entries(TUNERS).map(([name, t]) => [name, t.options.optional().describe(t.doc)]),
) as unknown as { [K in keyof typeof TUNERS]: z.ZodOptional<(typeof TUNERS)[K]['options']> };

export const experimentConfig = z.strictObject({
  $schema: z.string().max(B.pathLength).optional().describe('Path of the JSON Schema, for editors'),
  name: z
    .string()
    .max(B.nameLength)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'one folder name: a letter or digit, then letters, digits, ., _ or -')
    .describe(`Names the results folder (one path segment, at most ${B.nameLength} characters)`),
  description: z.string().max(B.textLength).optional(),
  engine: engineConfig.default({ kind: 'simulator' } as never).describe(`Engine: ${ENGINE_KINDS.join(', ')}`),
  workload: workloadConfig,
  rates: ratesConfig,
  tuners: z.strictObject(tunerShape).describe('Tuners to compare, each with its options'),
  seeds: z
    .array(z.int().min(-(2 ** 31)).max(2 ** 32 - 1))
    .min(1)
    .max(B.seeds)
    .default([1])
    .superRefine(noDuplicates)
    .describe('One run per tuner and seed; no seed twice'),
  loop: loopConfig.prefault({}),
  slo: sloConfig.prefault({}).describe('The service-level objective every episode is judged by (the same for every tuner)'),
  outputs: outputsConfig.prefault({}),
  sweep: z
    .record(z.string().max(B.pathLength), z.array(z.unknown()).min(1).max(B.sweepValues))
    .default({})
    .describe('Grid over config keys by dotted path, e.g. {"tuners.ds2.overProvisioning": [0, 0.1]}'),
  jobs: z.int().min(1).max(B.jobs).optional().describe('Runs in parallel (worker threads); default: the number of cores'),
});

function noDuplicates(xs: readonly unknown[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  xs.forEach((x, i) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate value ${k} (each may appear once)` });
    seen.add(k);
  });
}

export type ExperimentInput = z.input<typeof experimentConfig>;
export type Experiment = z.output<typeof experimentConfig>;
export type { TunerName } from '../tuners/registry.js';

/** The committed file's exact text (`npm run schema` writes it; a test checks it is not stale). */
export function experimentJsonSchemaText(): string {
  return `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
}

export function experimentJsonSchema(): unknown {
  return z.toJSONSchema(experimentConfig, { io: 'input', unrepresentable: 'any' });
}
