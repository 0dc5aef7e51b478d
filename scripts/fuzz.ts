// npm run fuzz -- --runs N --seed S [--max-commands M] [--path P --replay-path R] [--exclude a,b] [--trace] [--interleaving]: the
// model-based rotation test, long. Prints the seed, the duration and either "no counterexample" or the shrunk
// command sequence with what replays it: the same seed, `--path` (fast-check's counterexample path) and
// `--replay-path` (the `replayPath` printed after the commands).
import fc from 'fast-check';
import { rotationProperty } from '../test/model/rotation-model';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 1000);
  const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
  const maxCommands = Number(arg('max-commands') ?? 30);
  const path = arg('path');
  const replayPath = arg('replay-path');
  const exclude = (arg('exclude') ?? '').split(',').filter(Boolean);
  if (process.argv.includes('--trace')) process.env.MODEL_TRACE = '1';
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !Number.isInteger(maxCommands) || maxCommands < 1) {
    console.error('Usage: npm run fuzz -- --runs <whole number> --seed <whole number> [--max-commands <whole number>] [--path <replay path>]');
    process.exit(2);
  }
  console.log(`model-based rotation test: ${runs} sequences of up to ${maxCommands} commands, seed ${seed}${path ? `, replaying path ${path}` : ''}${exclude.length ? `, without ${exclude.join(', ')}` : ''}`);
  const t0 = Date.now();
  // A sequence that does not end within a minute is a counterexample too (a hang: a promise nothing resolves).
  const out = await fc.check(rotationProperty(maxCommands, replayPath, exclude), { numRuns: runs, seed, timeout: 60_000, ...(path ? { path } : {}), endOnFailure: false });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (!out.failed) {
    console.log(`no counterexample in ${out.numRuns} sequences (${seconds} s, seed ${seed})`);
    return;
  }
  console.log(`counterexample after ${out.numRuns} sequences (${seconds} s, seed ${seed}, path ${out.counterexamplePath}):`);
  const [opts, scheduler, commands] = out.counterexample ?? [];
  console.log(`options: ${JSON.stringify(opts)}`);
  console.log(`commands: ${String(commands)}`);
  if (process.argv.includes('--interleaving')) console.log(String(scheduler));
  console.log(String((out.errorInstance as Error | undefined)?.message ?? out.errorInstance));
  process.exit(1);
}

void main();
