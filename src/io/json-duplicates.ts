// Finds a key that appears twice in one JSON object. JSON.parse keeps the last value silently, so
// a file whose ignored entry conflicts with the kept one would load as something it does not say.
// Runs over text JSON.parse has already accepted, so it only needs to track strings and nesting.

/** The first duplicated key as a path ("a.b"), or null. */
export function findDuplicateKey(json: string): string | null {
  // One frame per open object or array: its keys (objects only) and the last key read in it.
  const stack: Array<{ keys: Set<string> | null; name: string }> = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return [...stack.slice(0, -1).map((f) => f.name), key].join('.');
        top.keys.add(key);
        top.name = key;
        expectKey = false;
      }
      i = j;
    } else if (ch === '{') {
      stack.push({ keys: new Set(), name: '' });
      expectKey = true;
    } else if (ch === '[') {
      stack.push({ keys: null, name: '' });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      expectKey = Boolean(stack[stack.length - 1]?.keys);
    }
  }
  return null;
}
