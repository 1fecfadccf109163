/**
 * The name of a generated pre-training corpus (`npm run history`): j<jobs>-w<windows>-s<seed>-<labels>[-<profile>]
 * under datasets/history/generated/. The name carries every option that differs from the generator's defaults, so
 * a corpus a pretrained set was trained on can be made again from its file name alone.
 */
import { LABEL_RULES, type LabelRule } from './labels.js';

export interface CorpusName {
  jobs: number;
  windows: number;
  seed: number;
  labels: LabelRule;
  /** Simulator physics profile; 'linear' is left out of the name. */
  profile: string;
}

export const CORPUS_FOLDER = 'datasets/history/generated';

export function corpusName(c: CorpusName): string {
  return `j${c.jobs}-w${c.windows}-s${c.seed}-${c.labels}${c.profile === 'linear' ? '' : `-${c.profile}`}`;
}

/** The options a corpus file's name records, or undefined for a file not named by the generator. */
export function parseCorpusName(file: string): CorpusName | undefined {
  const base = file.split('/').pop() ?? '';
  const m = /^j(\d+)-w(\d+)-s(-?\d+)-([A-Za-z]+)(?:-([A-Za-z0-9._-]+))?\.csv$/.exec(base);
  if (!m || !(LABEL_RULES as readonly string[]).includes(m[4] as string)) return undefined;
  return { jobs: Number(m[1]), windows: Number(m[2]), seed: Number(m[3]), labels: m[4] as LabelRule, profile: m[5] ?? 'linear' };
}

/** The command that makes the corpus. */
export function corpusCommand(c: CorpusName): string {
  return `npm run history -- --jobs ${c.jobs} --windows ${c.windows} --seed ${c.seed} --labels ${c.labels}${c.profile === 'linear' ? '' : ` --profile ${c.profile}`}`;
}
