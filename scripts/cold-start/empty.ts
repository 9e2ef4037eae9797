/** Cold-start floor (scripts/bench-coldstart.ts): a handler that imports nothing and does nothing. */
export async function handler(): Promise<{ findings: number }> {
  return { findings: 0 };
}
