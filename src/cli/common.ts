/** What every command shares: the yargs set-up, exit codes and turning errors into one clear line. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { boundLines, clip, ConfigError } from '../experiment/config.js';
import { JobValidationError } from '../core/job.js';
import { RateError } from '../workloads/rates.js';
import { TunerSetupError } from '../tuners/tuner.js';
import { InputFileError } from '../io/read.js';

export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130, terminated: 143 } as const;

/** A bad command-line value: one line, exit 2. */
export class InputError extends Error {}

/**
 * A yargs coerce function for an integer flag within [min, max] (declare the option with type 'string', so that
 * 'abc' reaches it as written): a bad value exits 2 naming the flag.
 */
export function integerIn(flag: string, min: number, max: number): (v: unknown) => number {
  return (v) => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`--${flag}: expected an integer in [${min}, ${max}], got '${clip(String(v), 40)}'`);
    return n;
  };
}

/**
 * The argument after `--flag` as written on the command line: yargs reads a value that starts with '-' ('-1/3') as
 * flags of its own and leaves the option empty, so a message would show nothing of what was given.
 */
export function asWritten(flag: string, parsed: unknown, argv: readonly string[] = process.argv): string {
  const s = String(parsed ?? '');
  if (s !== '') return s;
  const at = argv.indexOf(`--${flag}`);
  return at >= 0 && at + 1 < argv.length ? (argv[at + 1] as string) : s;
}

/** A yargs coerce function for a number flag within [min, max]. */
export function numberIn(flag: string, min: number, max: number): (v: unknown) => number {
  return (v) => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new InputError(`--${flag}: expected a number in [${min}, ${max}], got '${clip(String(v), 40)}'`);
    return n;
  };
}

/** A strict yargs command with --help; a bad flag prints one line and exits 2. */
export function command(name: string, usage: string): Argv {
  return yargs(hideBin(process.argv))
    .scriptName(name)
    .usage(usage)
    .strict()
    .help()
    .fail((msg, err) => {
      console.error(`error: ${boundLines((err?.message ?? msg).replace(/\s*\n\s*/g, ' '))}`);
      process.exit(EXIT.badInput);
    });
}

/** Errors caused by the user's input: printed as one line, exit 2. */
export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || e instanceof ConfigError || e instanceof JobValidationError || e instanceof RateError || e instanceof TunerSetupError || e instanceof InputFileError;
}

/** Runs a command body; input errors exit 2 with their message, anything else exits 1 with one line. */
export async function guard(body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (e) {
    if (isInputError(e)) {
      console.error(`error: ${boundLines(e.message)}`);
      code = EXIT.badInput;
    } else {
      console.error(`error: ${boundLines((e as Error).message ?? String(e))}`);
      if (process.env.STREAMTUNE_DEBUG) console.error((e as Error).stack);
      code = EXIT.runFailed;
    }
  }
  process.exit(code);
}
