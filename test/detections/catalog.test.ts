import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogSource, CATALOG_FILE } from '../../scripts/gen-detection-catalog.ts';
import { catalog } from '../../shared/detections/catalog.ts';
import { detections as registry } from '../../shared/detections/index.ts';
import { createRouter } from '../../shared/pipeline/routing.ts';
import { NAMED_ROUTE, wildcardRoute } from '../../shared/pipeline/event-rules.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';

/**
 * The detect Lambda routes with the generated catalog (shared/detections/catalog.ts) and imports a
 * detection's code only when an event is routed to it. A catalog that disagreed with the registry
 * would lose or misroute findings: it must be the registry's routing facts, entry for entry.
 */
describe('detection catalog (lazy registry of the detect Lambda)', () => {
  it('is what scripts/gen-detection-catalog.ts writes from the detection files now (regenerate: npm run gen)', async () => {
    expect(readFileSync(CATALOG_FILE, 'utf8')).toBe(await catalogSource());
  });

  it('has the registry’s ids, matches and routine profiles in the same order, and each loader yields the registry’s detection object', async () => {
    expect(catalog.map((e) => e.id)).toEqual(registry.map((d) => d.id));
    for (const [i, entry] of catalog.entries()) {
      const d = registry[i];
      expect(entry.matches, entry.id).toEqual(d?.matches);
      expect(entry.routine, entry.id).toEqual(d?.routine);
      expect(await entry.load(), entry.id).toBe(d);
    }
  });

  it('ids are lowercase ASCII words joined by hyphens (the router orders them by code unit, as localeCompare would)', () => {
    for (const { id } of catalog) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const ids = catalog.map((e) => e.id);
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
  });

  it('routes every sample event, on every route it can take, to the same detections as the registry', () => {
    const byCatalog = createRouter(catalog);
    const byRegistry = createRouter(registry);
    const routes = [undefined, NAMED_ROUTE, ...registry.map((d) => wildcardRoute(d.id)), 'wildcard:not-a-detection'];
    let compared = 0;
    for (const dir of readdirSync(EVENTS_DIR)) {
      for (const file of readdirSync(join(EVENTS_DIR, dir)).filter((f) => f.endsWith('.json'))) {
        const event = readJson(join(EVENTS_DIR, dir, file));
        for (const route of routes) {
          const input = route === undefined ? { event } : { route, event };
          const a = byCatalog(input);
          const b = byRegistry(input);
          expect(a.detections.map((d) => d.id), `${dir}/${file} ${route}`).toEqual(b.detections.map((d) => d.id));
          expect(a.countsEvent).toBe(b.countsEvent);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
