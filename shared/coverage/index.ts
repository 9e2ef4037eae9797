/** Detection coverage: the generated docs/coverage.md and the MITRE ATT&CK Navigator layer. */
export { attackLayer, LAYER_VERSIONS, type NavigatorLayer } from './attack-layer.ts';
export { coverageMarkdown, coverageRows, coverageSources, type CoverageSource, stratusIndex, techniqueIndex, type CoverageRow } from './coverage.ts';
export { STRATUS_NOT_DETECTED } from './stratus.ts';
