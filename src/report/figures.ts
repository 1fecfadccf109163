/** Paper figures are experiments: run every experiment a figures list names, in order. */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, PROJECT_ROOT, readJson, describeIssues } from '../experiment/config.js';
import { runExperiment, type ExperimentOutcome, type Progress } from '../experiment/experiment.js';

const figuresList = z.strictObject({ description: z.string().optional(), experiments: z.array(z.string()).min(1) });

export const DEFAULT_FIGURES = join(PROJECT_ROOT, 'experiments/paper/figures.json');

export async function runFigures(
  list = DEFAULT_FIGURES,
  o: { out?: string; jobs?: number; only?: string; progress?: Progress } = {},
): Promise<ExperimentOutcome[]> {
  const parsed = figuresList.safeParse(readJson(list));
  if (!parsed.success) throw new ConfigError(describeIssues(list, parsed.error.issues));
  const chosen = parsed.data.experiments.filter((e) => o.only === undefined || e.includes(o.only));
  if (chosen.length === 0) throw new ConfigError(`${list}: no experiment matches '${o.only}'`);
  const outcomes: ExperimentOutcome[] = [];
  for (const config of chosen)
    outcomes.push(
      await runExperiment({
        config,
        ...(o.out !== undefined ? { out: o.out } : {}),
        ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
        ...(o.progress ? { progress: o.progress } : {}),
      }),
    );
  return outcomes;
}
