import type { Statement } from './types.ts';

/**
 * `compute` remembered per parsed statement (statements are not changed once parsed, and each
 * parse makes new ones, so nothing outlives the statements it was asked of). A statement that can
 * still take a property (just parsed, not yet frozen by its compilation) keeps its answer in a
 * symbol-keyed, non-enumerable property, which JSON, `Object.keys`/`values` and deep equality do
 * not see: a WeakMap entry per statement costs several times more to make (and to collect). A
 * frozen statement's answer goes to a WeakMap. Answers are never `undefined` (that means "not yet").
 */
export function statementMemo<T extends NonNullable<unknown> | null>(name: string, compute: (s: Statement) => T): (s: Statement) => T {
  const key = Symbol(name);
  const frozen = new WeakMap<Statement, T>();
  return (s) => {
    const own = (s as Statement & { [k: symbol]: T | undefined })[key];
    if (own !== undefined) return own;
    const known = frozen.get(s);
    if (known !== undefined) return known;
    const value = compute(s);
    if (Object.isExtensible(s)) Object.defineProperty(s, key, { value });
    else frozen.set(s, value);
    return value;
  };
}
