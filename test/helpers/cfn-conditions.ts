/**
 * CloudFormation conditions of a packaged template, evaluated with the parameters' defaults (what
 * `serverless package --stage ci` deploys), so tests that walk the template's resources see only
 * those a deployment would create (e.g. no organization-mode central rules in account mode).
 */
interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Condition?: string }>;
}

/** Thrown for an intrinsic the evaluator does not model: the test must say what it means. */
export class UnsupportedConditionError extends Error {
  override name = 'UnsupportedConditionError';
}

function value(template: Template, node: unknown, overrides: Record<string, string>): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') {
    if (ref in overrides) return overrides[ref];
    const p = template.Parameters?.[ref];
    if (p && 'Default' in p) return p.Default;
    throw new UnsupportedConditionError(`Ref ${ref} has no default`);
  }
  return truth(template, node, overrides);
}

function truth(template: Template, node: unknown, overrides: Record<string, string>): boolean {
  const n = node as Record<string, unknown[]> & { Condition?: string };
  if (typeof n.Condition === 'string') return conditionHolds(template, n.Condition, overrides);
  if (Array.isArray(n['Fn::Equals'])) {
    const [a, b] = n['Fn::Equals'];
    return String(value(template, a, overrides)) === String(value(template, b, overrides));
  }
  if (Array.isArray(n['Fn::Not'])) return !truth(template, n['Fn::Not'][0], overrides);
  if (Array.isArray(n['Fn::And'])) return n['Fn::And'].every((c) => truth(template, c, overrides));
  if (Array.isArray(n['Fn::Or'])) return n['Fn::Or'].some((c) => truth(template, c, overrides));
  throw new UnsupportedConditionError(`condition ${JSON.stringify(node)} is not modelled`);
}

/** Whether the named condition holds with the parameters' defaults (and any overrides). */
export function conditionHolds(template: Template, name: string, overrides: Record<string, string> = {}): boolean {
  const c = template.Conditions?.[name];
  if (c === undefined) throw new UnsupportedConditionError(`no condition ${name}`);
  return truth(template, c, overrides);
}

/** The resources a deployment with default parameters creates: a false Condition leaves one out. */
export function deployedResources<R extends { Condition?: string }>(template: { Parameters?: Template['Parameters']; Conditions?: Record<string, unknown>; Resources: Record<string, R> }, overrides: Record<string, string> = {}): Record<string, R> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Condition === undefined || conditionHolds(template, r.Condition, overrides)));
}
