/**
 * Reading a file a user named (a config, a trace, a history, a run folder's files): only a regular file, of bounded
 * size, as UTF-8 text. The file is opened with O_NONBLOCK and checked with fstat on that descriptor before a byte
 * is read, so a FIFO, a folder, a device (/dev/zero, /dev/urandom, /dev/null) or a symlink to one is refused at
 * once instead of hanging or filling memory; and what is checked is what is read (no race between stat and open).
 * A UTF-8 byte order mark is stripped. JSON nesting is bounded before parsing (deep nesting overflows the stack
 * of every recursive reader after JSON.parse).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** A file that cannot be read as an input: one line naming the file and what was expected. */
export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

/** Largest input file read (configs are kilobytes, traces and histories tens of megabytes at most). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;
/** Deepest JSON nesting accepted (a config nests a dozen levels). */
export const MAX_JSON_DEPTH = 256;

const short = (file: string): string => (file.length <= 200 ? file : `${file.slice(0, 170)}... (${file.length} chars)`);

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device (such as /dev/zero or /dev/null)';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const why: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a symlink loop',
  ENAMETOOLONG: 'the path is too long',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'a folder',
};

/**
 * The bytes of a regular file of at most `maxBytes`. Throws InputFileError naming the file otherwise; `what` names
 * what the file is for ('config', '--history') at the start of the message.
 */
export function readInputBytes(file: string, o: { maxBytes?: number; what?: string } = {}): Buffer {
  const max = o.maxBytes ?? MAX_INPUT_BYTES;
  const at = `${o.what ? `${o.what}: ` : ''}${short(file)}`;
  if (file === '') throw new InputFileError(`${o.what ? `${o.what}: ` : ''}expected a file path, got an empty one`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputFileError(`${at}: cannot be read (${why[err.code ?? ''] ?? err.code ?? err.message}); expected a regular file`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(`${at}: expected a regular file, got ${kind(st)}`);
    if (st.size > max) throw new InputFileError(`${at}: ${st.size} bytes, more than the ${max} an input file may have`);
    // Read at most max + 1 bytes whatever the size said (a file may grow while it is read).
    const buf = Buffer.allocUnsafe(Math.min(max + 1, Math.max(st.size, 0) + 65_536));
    let n = 0;
    for (;;) {
      if (n === buf.length) break;
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new InputFileError(`${at}: cannot be read (${err.code ?? err.message})`);
      }
      if (got === 0) break;
      n += got;
    }
    if (n > max) throw new InputFileError(`${at}: more than the ${max} bytes an input file may have`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A regular file of bounded size as UTF-8 text, a leading byte order mark stripped; not UTF-8: InputFileError. */
export function readInputText(file: string, o: { maxBytes?: number; what?: string } = {}): string {
  const bytes = readInputBytes(file, o);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InputFileError(`${o.what ? `${o.what}: ` : ''}${short(file)}: expected UTF-8 text, got bytes that are not`);
  }
  if (text.includes('\u0000')) throw new InputFileError(`${o.what ? `${o.what}: ` : ''}${short(file)}: expected text, got NUL bytes`);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Where JSON text nests deeper than `max` brackets (outside strings): the character offset, else undefined. */
export function tooDeep(text: string, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
    } else if (c === 123 || c === 91 /* { [ */) {
      if (++depth > max) return i;
    } else if (c === 125 || c === 93 /* } ] */) depth--;
  }
  return undefined;
}

/** JSON text parsed, its nesting bounded first; malformed or too deep: InputFileError naming the file. */
export function parseJsonText(text: string, file: string, max = MAX_JSON_DEPTH): unknown {
  const deep = tooDeep(text, max);
  if (deep !== undefined) throw new InputFileError(`${short(file)}: JSON nested more than ${max} levels deep (at character ${deep}); expected at most ${max}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputFileError(`${short(file)}: malformed JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A JSON file a user named: readInputText, then parseJsonText. */
export function readInputJson(file: string, o: { maxBytes?: number; what?: string } = {}): unknown {
  return parseJsonText(readInputText(file, o), file);
}

/**
 * A CSV file with a header (rows as objects of strings): readInputText, then csv-parse; a file that does not
 * parse as CSV is an InputFileError naming it.
 */
export function readInputCsv(file: string, o: { maxBytes?: number; what?: string; trim?: boolean } = {}): Record<string, string>[] {
  const text = readInputText(file, o);
  try {
    return parse(text, { columns: true, skip_empty_lines: true, ...(o.trim ? { trim: true } : {}) }) as Record<string, string>[];
  } catch (e) {
    throw new InputFileError(`${o.what ? `${o.what}: ` : ''}${short(file)}: not a CSV with a header: ${(e as Error).message.split('\n')[0]?.slice(0, 160)}`);
  }
}
