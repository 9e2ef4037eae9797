import type { Detection, DetectionMeta } from './types.ts';

/**
 * A detection as the detect Lambda routes it before loading its code: the facts routing and the
 * alert router need (id, the (eventSource, eventName) sets, the routine profile) and `load()`,
 * which imports the detection's file (a chunk of its own in the bundle). The list of entries is
 * generated (catalog.ts, scripts/gen-detection-catalog.ts) from the same files as index.ts.
 */
export interface CatalogEntry extends Pick<DetectionMeta, 'id' | 'matches' | 'routine'> {
  load(): Promise<Detection>;
}

/** The detections behind routed entries: a loaded Detection as is, a catalog entry through its loader. */
export function loadDetections(routed: readonly (Detection | CatalogEntry)[]): Promise<Detection[]> {
  return Promise.all(routed.map((d) => ('detect' in d ? d : d.load())));
}
