/** What every command shares: the yargs set-up, exit codes and turning errors into one clear line. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../experiment/config.js';
import { JobValidationError } from '../core/job.js';
import { RateError } from '../workloads/rates.js';
import { TunerSetupError } from '../tuners/tuner.js';

export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;

/** A bad command-line value: one line, exit 2. */
export class InputError extends Error {}

/** A strict yargs command with --help; a bad flag prints one line and exits 2. */
export function command(name: string, usage: string): Argv {
  return yargs(hideBin(process.argv))
    .scriptName(name)
    .usage(usage)
    .strict()
    .help()
    .fail((msg, err) => {
      console.error(`error: ${err?.message ?? msg}`);
      process.exit(EXIT.badInput);
    });
}

/** Errors caused by the user's input: printed as one line, exit 2. */
export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || e instanceof ConfigError || e instanceof JobValidationError || e instanceof RateError || e instanceof TunerSetupError;
}

/** Runs a command body; input errors exit 2 with their message, anything else exits 1 with one line. */
export async function guard(body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (e) {
    if (isInputError(e)) {
      console.error(`error: ${e.message}`);
      code = EXIT.badInput;
    } else {
      console.error(`error: ${(e as Error).message ?? String(e)}`);
      if (process.env.STREAMTUNE_DEBUG) console.error((e as Error).stack);
      code = EXIT.runFailed;
    }
  }
  process.exit(code);
}
