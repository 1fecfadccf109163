/** Runs an experiment in this process with a hook after each finished episode (fault drills in integration tests). */
import { runExperiment, type ExperimentOutcome } from '../../src/experiment/experiment.js';
import { writeReport } from '../../src/report/report.js';

export function runWithEpisodeHook(config: string, out: string, afterEpisode: () => void): Promise<ExperimentOutcome> {
  return runExperiment({
    report: writeReport,
    config,
    out,
    runId: 'r',
    progress: { start: () => undefined, episode: afterEpisode, run: () => undefined, stop: () => undefined },
  });
}
