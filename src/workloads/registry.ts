/**
 * The workloads, one registry entry each: its config section (zod, every field documented and defaulted; `kind`
 * names it), how the job is built from it, its name in titles and figures, and the checks zod cannot express.
 * Adding a workload is one entry here (plus its job template or generator): the experiment schema, the builder, the
 * report's title, the figures' labels and the config checks read this table.
 */
import { z } from 'zod';
import { BOUNDS as B, MAX_PARALLELISM } from '../core/bounds.js';
import { nexmark, NEXMARK_QUERIES } from './nexmark/templates.js';
import { SYNTHETIC_DEFAULTS as S, syntheticJob } from './synthetic/generator.js';
import type { Workload } from './workload.js';

const maxParallelism = (d: number) => z.int().min(1).max(B.parallelism).default(d).describe('Max parallelism of every operator (the slots available)');
const workloadUnit = z.number().positive().max(1e12).optional().describe('Override W_u (records/s at the sources): rates are multiples of it; scale it to the machine on a real engine');

/** A problem with a config zod cannot see: the JSON path below `workload` and what is wrong. */
export interface WorkloadProblem {
  readonly path: string;
  readonly what: string;
}

interface WorkloadEntry<C extends z.ZodObject> {
  /** The config section; its `kind` literal is the entry's name. */
  readonly config: C;
  build(c: z.output<C>): Workload;
  /** In run titles: 'Nexmark q5', 'WordCount', 'synthetic job'. */
  title(c: z.output<C>): string;
  /** In cross-workload figures: 'q5', 'wordcount', 'synthetic'. */
  label(c: z.output<C>): string;
  check?(c: z.output<C>): WorkloadProblem | undefined;
}
const entry = <C extends z.ZodObject>(e: WorkloadEntry<C>): WorkloadEntry<C> => e;
/** W_u from the config when given. */
const unitOf = (c: { workloadUnit?: number | undefined }) => (c.workloadUnit !== undefined ? { workloadUnit: c.workloadUnit } : {});

export const WORKLOADS = [
  entry({
    config: z.strictObject({
      kind: z.literal('nexmark'),
      query: z.enum(NEXMARK_QUERIES).describe('Nexmark query template'),
      calibrated: z.boolean().default(false).describe('Use the operator costs and selectivities measured on real Flink (datasets/calibration/costs/flink/<query>.json, `npm run calibrate`); W_u is then rescaled to the machine'),
      maxParallelism: maxParallelism(128),
      workloadUnit,
    }),
    build: (c) => nexmark(c.query, { maxParallelism: c.maxParallelism, ...unitOf(c), ...(c.calibrated ? {} : { calibration: null }) }),
    title: (c) => `Nexmark ${c.query}`,
    label: (c) => c.query,
  }),
  entry({
    config: z.strictObject({
      kind: z.literal('wordcount').describe("ContTune's WordCount: source, splitter, keyed counter"),
      calibrated: z.boolean().default(false).describe('Use datasets/calibration/costs/flink/wordcount.json costs when present'),
      maxParallelism: maxParallelism(128),
      workloadUnit,
    }),
    build: (c) => nexmark('wordcount', { maxParallelism: c.maxParallelism, ...unitOf(c), ...(c.calibrated ? {} : { calibration: null }) }),
    title: () => 'WordCount',
    label: (c) => c.kind,
  }),
  entry({
    config: z.strictObject({
      kind: z.literal('synthetic'),
      seed: z.int().default(S.seed).describe('Seed of the DAG generator (independent of the run seeds)'),
      minOperators: z.int().min(3).max(40).default(S.minOperators),
      maxOperators: z.int().min(3).max(40).default(S.maxOperators).describe('At least minOperators'),
      costRange: z.tuple([z.number().positive().max(1e6), z.number().positive().max(1e6)]).default(S.costRange).describe('Per-record CPU cost range [low, high], microseconds'),
      maxKeySkew: z.number().min(0).max(1).default(S.maxKeySkew).describe('Largest hot-key share of keyed operators'),
      branchProbability: z.number().min(0).max(1).default(S.branchProbability),
      joinProbability: z.number().min(0).max(1).default(S.joinProbability),
      peakParallelism: z.number().positive().max(MAX_PARALLELISM).default(S.peakParallelism).describe('Instances the heaviest operator needs at 10 x W_u (sets W_u)'),
      maxParallelism: maxParallelism(S.maxParallelism),
      workloadUnit,
    }),
    build: (c) => {
      const { kind: _kind, workloadUnit: _unit, ...options } = c;
      const w = syntheticJob(options);
      return c.workloadUnit !== undefined ? { ...w, workloadUnit: c.workloadUnit } : w;
    },
    title: () => 'synthetic job',
    label: (c) => c.kind,
    check: (c) => {
      if (c.minOperators > c.maxOperators) return { path: 'maxOperators', what: `${c.maxOperators} is below workload.minOperators ${c.minOperators}` };
      if (c.costRange[0] > c.costRange[1]) return { path: 'costRange', what: `low ${c.costRange[0]} is above high ${c.costRange[1]}` };
      return undefined;
    },
  }),
] as const;

type Configs<T> = { -readonly [K in keyof T]: T[K] extends WorkloadEntry<infer C> ? C : never };
/** The workload section of an experiment file: one of the entries' configs, by `kind`. */
export const workloadConfig = z.discriminatedUnion('kind', WORKLOADS.map((w) => w.config) as unknown as Configs<typeof WORKLOADS>);
export type WorkloadConfig = z.output<typeof workloadConfig>;
export type WorkloadKind = WorkloadConfig['kind'];

/** The entry of a config's kind. */
function entryOf(c: WorkloadConfig): WorkloadEntry<z.ZodObject> {
  const e = WORKLOADS.find((w) => w.config.shape.kind.value === c.kind);
  if (!e) throw new Error(`unknown workload kind '${c.kind}'`);
  return e as unknown as WorkloadEntry<z.ZodObject>;
}

/** Builds the workload a config names. */
export const buildWorkload = (c: WorkloadConfig): Workload => entryOf(c).build(c);
/** The workload's name in run titles. */
export const workloadTitle = (c: WorkloadConfig): string => entryOf(c).title(c);
/** The workload's name in cross-workload figures. */
export const workloadLabel = (c: WorkloadConfig): string => entryOf(c).label(c);
/** The first problem zod cannot see (path below `workload`), or undefined. */
export const workloadProblem = (c: WorkloadConfig): WorkloadProblem | undefined => entryOf(c).check?.(c);
