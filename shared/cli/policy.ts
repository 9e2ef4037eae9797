/** `trailwatch policy` — placeholder until its owner lands it; exits 1 so nothing mistakes it for success. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('trailwatch policy: not implemented yet\n');
  return 1;
}
