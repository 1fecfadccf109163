/**
 * The experiment file: types with documented defaults (declared once, here) -> JSON Schema
 * (schema/experiment.schema.json, `npm run schema`) -> validated at load, unknown keys rejected.
 */
import { z } from 'zod';
import { BOUNDS as B } from '../core/bounds.js';
import { ENGINE_KINDS, engineConfig } from '../engines/registry.js';
import { TUNER_NAMES, TUNERS } from '../tuners/registry.js';
import { TUNER_NAME_PATTERN } from '../tuners/variants.js';
import { loopConfig, sloConfig } from '../loop/config.js';
import { ratesConfig, workloadConfig } from '../workloads/config.js';
import { measuredOracleConfig } from '../oracle/config.js';

export const outputsConfig = z.strictObject({
  dir: z.string().min(1).max(B.pathLength).default('results').describe('Parent folder of results/<name>/<run-id>/'),
  charts: z.boolean().default(true).describe('Write Vega-Lite specs with SVG and PNG renderings'),
  png: z.boolean().default(true).describe('Also render PNGs'),
  history: z.boolean().default(true).describe('Write history.csv (per-operator windows for StreamTune pre-training)'),
});

const tunerShape = Object.fromEntries(
  Object.entries(TUNERS).map(([name, t]) => [name, t.options.optional().describe(t.doc)]),
) as unknown as { [K in keyof typeof TUNERS]: z.ZodOptional<(typeof TUNERS)[K]['options']> };

/** A named variant: any tuner's options plus its `kind`, under a name of the experiment's own. */
const tunerVariant = z.discriminatedUnion(
  'kind',
  TUNER_NAMES.map((n) =>
    (TUNERS[n].options as unknown as z.ZodObject).extend({ kind: z.literal(n).describe('The tuner this entry configures') }).describe(`A named variant of ${n}: ${TUNERS[n].doc}`),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  { error: () => `an entry under a name that is not a tuner kind needs "kind" (one of ${TUNER_NAMES.join(', ')})` },
);

function tunerNames(tuners: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const names = Object.keys(tuners);
  for (const name of names)
    if (!TUNER_NAME_PATTERN.test(name) || name.length > B.nameLength)
      ctx.addIssue({ code: 'custom', path: [name], message: `a tuner name is a letter or digit, then letters, digits, _ or - (at most ${B.nameLength} characters; no dots: sweep paths are dotted)` });
  if (names.length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'no tuner: name at least one (expected a tuner entry such as "ds2": {})' });
}

export const experimentConfig = z.strictObject({
  $schema: z.string().max(B.pathLength).optional().describe('Path of the JSON Schema, for editors'),
  name: z
    .string()
    .max(B.nameLength)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected one folder name: a letter or digit, then letters, digits, ., _ or -')
    .describe(`Names the results folder (one path segment, at most ${B.nameLength} characters)`),
  description: z.string().max(B.textLength).optional(),
  engine: engineConfig.default({ kind: 'simulator' } as never).describe(`Engine: ${ENGINE_KINDS.join(', ')}`),
  workload: workloadConfig,
  rates: ratesConfig,
  tuners: z
    .strictObject(tunerShape)
    .catchall(tunerVariant)
    .superRefine(tunerNames)
    .describe('Tuners to compare, each with its options: keyed by the tuner kind, or under a name of your own with a "kind" (a named variant, e.g. "ds2-op10": {"kind": "ds2", "overProvisioning": 0.1})'),
  seeds: z
    .array(z.int().min(-(2 ** 31)).max(2 ** 32 - 1))
    .min(1)
    .max(B.seeds)
    .default([1])
    .superRefine(noDuplicates)
    .describe('One run per tuner and seed; no seed twice'),
  loop: loopConfig.prefault({}),
  slo: sloConfig.prefault({}).describe('The service-level objective every episode is judged by (the same for every tuner)'),
  measuredOracle: measuredOracleConfig
    .prefault({})
    .describe('The measured oracle on an engine without ground truth (`npm run oracle`): the smallest total parallelism found that passes the SLO at each rate, by a search of SLO checks'),
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
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate value ${k} (expected each value once)` });
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
