/** Where two JSON values differ, as JSON paths ('tuners.ds2.overProvisioning', 'seeds[1]'): for error lines. */
export interface Difference {
  path: string;
  a: unknown;
  b: unknown;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The first `max` differences between a and b in document order (keys sorted); a key missing on one side is undefined there. */
export function differences(a: unknown, b: unknown, max = 5, path = ''): Difference[] {
  const out: Difference[] = [];
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (out.length >= max) return;
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], `${at}[${i}]`);
      return;
    }
    if (isObject(x) && isObject(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) walk(x[k], y[k], at ? `${at}.${k}` : k);
      return;
    }
    if (x !== y && !(x === undefined && y === null) && !(x === null && y === undefined)) out.push({ path: at || '(top level)', a: x, b: y });
  };
  walk(a, b, path);
  return out;
}

/** A value for an error line: JSON, cut to n characters; 'missing' for undefined. */
export function shown(x: unknown, n = 60): string {
  if (x === undefined) return 'missing';
  const s = JSON.stringify(x) ?? String(x);
  return s.length <= n ? s : `${s.slice(0, n - 3)}...`;
}

/** 'tuners.ds2.overProvisioning: 0.2 in <aName>, 0.5 in <bName>' for each difference, joined by '; '. */
export function describeDifferences(ds: readonly Difference[], aName: string, bName: string): string {
  return ds.map((d) => `${d.path.length > 120 ? `${d.path.slice(0, 117)}...` : d.path}: ${shown(d.a)} in ${aName}, ${shown(d.b)} in ${bName}`).join('; ');
}
