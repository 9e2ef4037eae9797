// Bridge from serverless.yml (`${file(./scripts/event-rules.cjs):resources}`) to the TypeScript
// generator: the framework loads variable files with require(), the registry is TypeScript, so
// this loads it through tsx's ESM API (the CommonJS flavour of that API is broken in tsx 4).
'use strict';

function intParam(value, fallback, name, min, max) {
  const n = value === undefined || value === null || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`event-rules: ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

module.exports.resources = async ({ resolveVariable }) => {
  const { tsImport } = await import('tsx/esm/api');
  const { ruleResources, packagedRuleTuning } = await tsImport('./event-rules.ts', __filename);
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return ruleResources({
    stackName: `${service}-${stage}`,
    // trailwatch.config.yaml's approvedRegions shape the unused-region-activity rule (none: no rule).
    tuning: packagedRuleTuning(),
    // Always generated, created only when the IsOrganization condition holds (mode=organization).
    centralBusLogicalId: 'CentralBus',
    maxRetryAttempts: intParam(await resolveVariable('param:targetMaxRetryAttempts'), 185, 'targetMaxRetryAttempts', 0, 185),
    maxEventAgeSeconds: intParam(await resolveVariable('param:targetMaxEventAgeSeconds'), 86400, 'targetMaxEventAgeSeconds', 60, 86400),
  });
};
