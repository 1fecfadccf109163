/** What every command shares: exit codes and turning errors into one clear line. */
import { ConfigError } from '../experiment/config.js';
import { JobValidationError } from '../core/job.js';
import { RateError } from '../workloads/rates.js';
import { TunerSetupError } from '../tuners/tuner.js';

export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;

/** Errors caused by the user's input: printed as one line, exit 2. */
export function isInputError(e: unknown): e is Error {
  return e instanceof ConfigError || e instanceof JobValidationError || e instanceof RateError || e instanceof TunerSetupError;
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
