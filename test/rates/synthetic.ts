/** Seeded synthetic per-minute traffic for evaluating the rate model (tests and benchmark). */
import { rng } from '../helpers/rng.ts';

/** Poisson sample (Knuth for small means, normal approximation above 30). */
export function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const u = Math.max(random(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= random();
  } while (p > l);
  return k - 1;
}

/** Diurnal factor in [0.15, 1.85] with mean 1: busy working hours, quiet nights. */
export function diurnal(minuteOfDay: number, phase: number): number {
  return 1 + 0.85 * Math.sin((2 * Math.PI * (minuteOfDay - 360 + phase)) / 1440);
}
