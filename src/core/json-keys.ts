/**
 * JSON.parse keeps the last of two equal keys in one object without a word; a config that names a key twice has
 * a value the user did not mean. This finds the first such key in a text JSON.parse accepted, as a JSON path.
 */
export function duplicateKey(text: string): string | undefined {
  interface Frame {
    readonly path: string;
    readonly keys: Set<string> | undefined; // undefined for an array
    index: number;
    key: string | undefined; // the key whose value is being read
  }
  const stack: Frame[] = [];
  const at = (f: Frame | undefined): string => {
    if (!f) return '';
    const seg = f.keys ? (f.key ?? '') : `[${f.index}]`;
    return f.keys ? (f.path ? `${f.path}.${seg}` : seg) : `${f.path}${seg}`;
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          s += text.slice(j, j + 2);
          j += 2;
        } else s += text[j++];
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(`"${s}"`) as string;
        if (top.keys.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      stack.push({ path: at(parent), keys: c === '{' ? new Set() : undefined, index: 0, key: undefined });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
      expectKey = Boolean(top?.keys);
    }
  }
  return undefined;
}
