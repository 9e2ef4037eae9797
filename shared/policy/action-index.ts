/**
 * "Does any Allow statement cover action A at all?" for a fixed list of question actions (the
 * analyzer's admin, escalation, data and PassRole questions), answered without compiling the
 * policy. Each distinct Action/NotAction pattern string gets, once per process, the bitset of the
 * questions it matches (the answer for `s3:Get*` is the same in every statement and policy); a set
 * of policies covers a question when one of its Allow statements has a pattern matching it (Action)
 * or none matching it (NotAction). Those are the answers of `coversAction(policy, action, 'Allow')`
 * (compile.ts), because a statement's compiled set matches an action exactly when the set of one of
 * its patterns does, and the patterns are compiled here by the same function.
 */
import { actionRequest, compileActionPattern, matchActionSet, serviceOf } from './compile.ts';
import type { ActionRequest } from './compile.ts';
import { statementFacts } from './action-facts.ts';
import type { ActionFacts } from './action-facts.ts';
import type { Policy } from './types.ts';
import { boundedMap, remember } from '../memo.ts';

/** What one pattern string says about the questions, and which services it can name at all. */
interface PatternFacts {
  /** Undefined when the pattern matches no question (most patterns). */
  bits: Uint32Array | undefined;
  /** The pattern can match an action of any service (`*`, a wildcard or no literal service prefix). */
  anyService: boolean;
  /** Otherwise, the ids (ActionIndex.serviceIds) of the lower-cased service prefixes it can match, as `compilePolicy` lists them. */
  services: readonly number[];
  /** The id space of `services`: facts of an older one are computed again. */
  generation: number;
}

/** The Allow coverage of a set of policies: the questions covered, and the services other actions could be. */
export interface Coverage {
  bits: Uint32Array;
  /** Some Allow statement can match an action of any service (`*`, wildcard service, NotAction). */
  anyService: boolean;
  /** Else, the services the Allow statements' patterns name (`services[id] === 1` by service id): an action of another service is covered by none. */
  services: readonly number[];
  /** The id space `services` is in (-1: it changed while this coverage was taken, so mayCover cannot say no). */
  generation: number;
}

/** Pattern strings remembered per index before the memo is emptied (the managed corpus has ~16,000). */
const PATTERN_LIMIT = 50_000;

/** Distinct service prefixes given ids before the id space starts again (AWS has ~450). */
const SERVICE_LIMIT = 10_000;

export class ActionIndex {
  private readonly requests: ActionRequest[] = [];
  private readonly ids = new Map<string, number>();
  /** Question numbers by lower-cased action and by service prefix: the only ones a literal or a service's pattern can match. */
  private readonly byLower = new Map<string, number[]>();
  private readonly byService = new Map<string, number[]>();
  private readonly patterns = boundedMap<string, PatternFacts>(PATTERN_LIMIT);
  /** A small number per lower-cased service prefix seen in a pattern (kept while the pattern memo is). */
  private readonly serviceIds = new Map<string, number>();
  private generation = 0;
  private readonly words: number;

  /** `actions`: the questions, spelled as they will be asked. */
  constructor(actions: readonly string[]) {
    for (const a of actions) {
      if (this.ids.has(a)) continue;
      const id = this.requests.length;
      const req = actionRequest(a);
      this.ids.set(a, id);
      this.requests.push(req);
      for (const [map, key] of [[this.byLower, req.lowerAction], [this.byService, req.service]] as const) {
        const list = map.get(key);
        if (list) list.push(id);
        else map.set(key, [id]);
      }
    }
    this.words = Math.max(1, Math.ceil(this.requests.length / 32));
  }

  /** The question number of the action as spelled, undefined when it is not one of the questions. */
  id(action: string): number | undefined {
    return this.ids.get(action);
  }

  /** The pattern's facts, kept in its validation facts record's slot (one lookup per statement, see action-facts.ts). */
  private factsOf(record: ActionFacts, pattern: string): PatternFacts {
    // The slot holds this index's PatternFacts whenever its owner is this index.
    if (record.slot?.owner === this) {
      const kept = record.slot.value as PatternFacts;
      if (kept.generation === this.generation) return kept;
    }
    const value = this.facts(pattern);
    record.slot = { owner: this, value };
    return value;
  }

  private facts(pattern: string): PatternFacts {
    let known = this.patterns.get(pattern);
    if (known && known.generation === this.generation) return known;
    const set = compileActionPattern(pattern);
    const bits = new Uint32Array(this.words);
    const set1 = (i: number): void => {
      bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
    };
    // Only the questions the set can match at all are tried: a literal matches its own spelling, a
    // pattern with a literal service prefix only that service's actions (as matchActionSet looks them up).
    if (set.any || set.general.length > 0) {
      this.requests.forEach((req, i) => {
        if (matchActionSet(set, req)) set1(i);
      });
    } else {
      for (const literal of set.literals) for (const i of this.byLower.get(literal) ?? []) set1(i);
      for (const service of set.byService.keys()) {
        for (const i of this.byService.get(service) ?? []) if (matchActionSet(set, this.requests[i] as ActionRequest)) set1(i);
      }
    }
    const services = [...set.byService.keys(), ...set.literalServices].map((svc) => {
      let id = this.serviceIds.get(svc);
      if (id === undefined) this.serviceIds.set(svc, (id = this.serviceIds.size));
      return id;
    });
    known = { bits: bits.some((w) => w !== 0) ? bits : undefined, anyService: set.any || set.general.length > 0, services, generation: this.generation };
    if (this.serviceIds.size >= SERVICE_LIMIT) {
      // A new id space: coverages that used the old one no longer answer mayCover from their ids.
      this.serviceIds.clear();
      this.generation++;
    }
    return remember(this.patterns, pattern, known);
  }

  /** The questions the Allow statements of these policies cover (Resource, Principal and conditions aside). */
  coverage(policies: readonly Policy[]): Coverage {
    const generation = this.generation;
    const bits = new Uint32Array(this.words);
    const services: number[] = [];
    let anyService = false;
    // NotAction's scratch bits, made for the first NotAction statement only (most policies have none).
    let scratch: Uint32Array | undefined;
    for (const policy of policies) {
      for (const s of policy.statements) {
        if (s.effect !== 'Allow') continue;
        const list = s.action ?? s.notAction;
        if (!list) continue;
        const records = statementFacts(s);
        if (s.action === undefined) {
          // NotAction: covers every question none of its patterns matches, and actions of any service.
          anyService = true;
          scratch = scratch ? scratch.fill(0) : new Uint32Array(this.words);
          for (let i = 0; i < list.length; i++) {
            const f = this.factsOf(records[i] as ActionFacts, list[i] as string).bits;
            if (f) for (let w = 0; w < this.words; w++) scratch[w] = (scratch[w] as number) | (f[w] as number);
          }
          for (let w = 0; w < this.words; w++) bits[w] = (bits[w] as number) | ~(scratch[w] as number);
          continue;
        }
        for (let i = 0; i < list.length; i++) {
          const f = this.factsOf(records[i] as ActionFacts, list[i] as string);
          if (f.bits) for (let w = 0; w < this.words; w++) bits[w] = (bits[w] as number) | (f.bits[w] as number);
          if (f.anyService) anyService = true;
          for (const id of f.services) services[id] = 1;
        }
      }
    }
    return { bits, anyService, services, generation: generation === this.generation ? generation : -1 };
  }

  /**
   * For an action that is not a question: false when no Allow pattern can name its service (then
   * `coversAction` is false too); true means "ask `coversAction`".
   */
  mayCover(c: Coverage, action: string): boolean {
    if (c.anyService || c.generation !== this.generation) return true;
    const id = this.serviceIds.get(serviceOf(action.toLowerCase()));
    return id !== undefined && c.services[id] === 1;
  }
}

/** Is question `id` covered? */
export function covers(c: Coverage, id: number): boolean {
  return ((c.bits[id >>> 5] as number) & (1 << (id & 31))) !== 0;
}
