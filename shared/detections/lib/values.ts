/** Small, total readers for the loosely typed parts of a CloudTrail record. None of them throws. */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `obj[key]` when obj is an object, else undefined. */
export function field(obj: unknown, key: string): unknown {
  return isObject(obj) ? obj[key] : undefined;
}

/** Follows a path of keys through nested objects: `path(e, 'a', 'b')` is `e?.a?.b` without throwing. */
export function path(obj: unknown, ...keys: string[]): unknown {
  let current = obj;
  for (const key of keys) current = field(current, key);
  return current;
}

/** A string, or the first string of an array (S3 puts header values in one-element arrays). */
export function firstStr(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(str).find((v) => v !== undefined);
  return str(value);
}

/** Value as an array: arrays stay, a single value becomes `[value]`, undefined/null become `[]`. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Case-insensitive equality of two strings (false when either is not a string). */
export function sameText(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

/** The non-empty strings of a value read as an array (`asArray`); other elements are dropped. */
export function strings(value: unknown): string[] {
  return asArray(value)
    .map(str)
    .filter((s): s is string => s !== undefined);
}
