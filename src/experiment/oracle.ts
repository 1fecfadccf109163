/**
 * The measured oracle of an experiment file: its sweep points (validated and checked as for a run) become the
 * oracle room's targets, one per sweep point with its distinct rates; `npm run oracle` measures them, and an
 * experiment run reads what is cached for its points on engines without ground truth.
 */
import { clip, ConfigError, loadExperiment } from './config.js';
import { checkExperiment } from './checks.js';
import { expandSweep } from './sweep.js';
import type { Plan } from './plan.js';
import { codeVersion } from './version.js';
import { engineCapabilities } from '../engines/registry.js';
import { buildWorkload } from '../workloads/index.js';
import { distinctRates, lookupMeasuredOracle, measureTargets, pendingRates, type MeasureTargetsOptions, type OracleTarget, type RateOutcome } from '../oracle/measure.js';

export function oracleTargets(file: string, raw: Record<string, unknown>, cwd: string): OracleTarget[] {
  return expandSweep(raw, file).map((p) => {
    const where = p.label === 'base' ? file : `${file} (sweep point ${p.index}: ${clip(p.label, 80)})`;
    const checked = checkExperiment(p.experiment, { where, file, cwd });
    return { where, experiment: checked.experiment, workload: checked.workload, rates: distinctRates(checked.experiment, checked.workload) };
  });
}

export interface MeasureOptions extends Omit<MeasureTargetsOptions, 'file' | 'cwd' | 'codeVersion'> {
  config: string;
  cwd?: string;
  /** The config already loaded (a resumed run folder's own): used instead of reading `config`. */
  loaded?: { file: string; raw: Record<string, unknown> };
  /** Only the sweep points whose engine has no ground truth (an experiment's --measure-oracle). */
  realOnly?: boolean;
}

/** `npm run oracle`: measures (or reads from the cache) every distinct rate of every sweep point of a config. */
export async function measureOracle(o: MeasureOptions): Promise<RateOutcome[]> {
  const cwd = o.cwd ?? process.cwd();
  const loaded = o.loaded ?? loadExperiment(o.config, cwd);
  const targets = oracleTargets(loaded.file, loaded.raw, cwd).filter((t) => !o.realOnly || !engineCapabilities(t.experiment.engine).groundTruth);
  if (o.rates && pendingRates(targets, loaded.file, cwd, o).length === 0)
    throw new ConfigError(`--rate: none of ${o.rates.join(', ')} records/s is a rate of ${loaded.file} (rates: ${targets.flatMap((t) => t.rates.map((r) => Math.round(r))).join(', ')})`);
  return measureTargets(targets, { ...o, file: loaded.file, cwd, codeVersion: codeVersion() });
}

/** Per sweep point on an engine without ground truth: the cached measured oracle per rate, or why there is none. */
export function measuredOracles(plan: Pick<Plan, 'points' | 'file'>, cwd: string, cacheDir?: string): { sweep: string; engine: string; sizes: Record<string, number>; missing: string }[] {
  return plan.points
    .filter((p) => !engineCapabilities(p.experiment.engine).groundTruth)
    .map((p) => {
      const workload = buildWorkload(p.experiment.workload);
      const target = { where: plan.file, experiment: p.experiment, workload, rates: distinctRates(p.experiment, workload) };
      const m = lookupMeasuredOracle(target, plan.file, cwd, cacheDir !== undefined ? { cacheDir } : {});
      return { sweep: p.label, engine: p.experiment.engine.kind, sizes: { ...m.sizes }, missing: m.missing };
    });
}
