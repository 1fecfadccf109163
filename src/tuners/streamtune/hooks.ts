/**
 * StreamTune's registry hooks: the config checks the schema cannot make, the cost of one decide() for the work
 * estimate, and the asset made before the runs (a pre-trained set for a recipe that differs from its set's).
 */
import { existsSync } from 'node:fs';
import { corpusCommand, parseCorpusName } from '../../history/corpus-name.js';
import type { DecideCostContext, TunerAsset, TunerCheckContext, TunerProblem } from '../tuner.js';
import { recipeOf, type StreamTuneOptions } from './options.js';
import { historyFiles, readManifest, recipeStatus, resolveSetDir, trainRecipe } from './pretrain.js';

/** StreamTune option names of the recipe keys whose names differ (recipeOf). */
const RECIPE_OPTION: Record<string, string> = { epochs: 'pretrainEpochs', lr: 'pretrainLr', batchSize: 'pretrainBatch', labelRule: 'labelRule' };

export function check(o: StreamTuneOptions, ctx: TunerCheckContext): TunerProblem[] {
  const problems: TunerProblem[] = [];
  if (o.labelRule === 'groundTruth' && !ctx.capabilities.groundTruth)
    problems.push({ key: 'labelRule', message: `'groundTruth' needs the simulator's ground truth; engine '${ctx.engineKind}' has none` });
  if (o.pretrained !== '') {
    try {
      readManifest(resolveSetDir(o.pretrained));
    } catch (e) {
      problems.push({ key: 'pretrained', message: (e as Error).message });
    }
  }
  return problems;
}

/**
 * Measured (`npm run bench streamtune`, 40 operators, head-only fine-tuning): 14-36 ms per decide at the default
 * budget of 4,000 node-epochs, i.e. about 9e-6 s per node-epoch with a busy machine; 1.2e-5 keeps a margin. The
 * node-epochs of one decide grow with the windows observed until fineTuneWindows (+ the replay sample) and stop at
 * fineTuneBudget; they scale with the hidden width squared.
 */
export const COST = { perNodeEpoch: 1.2e-5, inference: 2e-3 } as const;

export function decideSec(o: StreamTuneOptions, ctx: DecideCostContext): number {
  if (o.fineTune === 'frozen' || o.fineTuneEpochs === 0) return COST.inference;
  const graphs = Math.min(ctx.observed, o.fineTuneWindows) * (o.pairing > 0 ? 2 : 1) + o.fineTuneReplay;
  const nodeEpochs = Math.min(o.fineTuneBudget, graphs * ctx.operators * o.fineTuneEpochs);
  const full = o.fineTune === 'full' ? 40 : 1;
  return COST.inference + COST.perNodeEpoch * nodeEpochs * full * (o.hidden / 32) ** 2;
}

export function asset(o: StreamTuneOptions): TunerAsset | undefined {
  if (o.pretrained === '') return undefined;
  const recipe = recipeOf(o);
  const status = recipeStatus(o.pretrained, recipe);
  if (status.state !== 'train') return undefined;
  const keys = status.differs.map((k) => RECIPE_OPTION[k] ?? k);
  const inputs = historyFiles(readManifest(status.setDir))
    .filter((f) => !existsSync(f))
    .map((file) => {
      const c = parseCorpusName(file);
      return { file, command: c ? corpusCommand(c) : `the history file ${file} (not a generated corpus: restore it)` };
    });
  return {
    key: keys[0] ?? 'pretrained',
    id: status.cacheDir,
    describe: `pre-training ${o.pretrained}'s recipe with ${keys.join(', ')} changed`,
    estimateSec: status.estimateSec,
    inputs,
    make: async (backend, step) => {
      await trainRecipe(o.pretrained, recipe, backend, step);
    },
  };
}
