// The model-based rotation test in CI: a fixed, seeded budget of random command sequences (see rotation-model.ts).
// A failure prints the seed and the shrunk sequence; `npm run fuzz -- --runs N --seed S` replays or runs long.
import fc from 'fast-check';
import { rotationProperty } from './rotation-model';

const RUNS = Number(process.env.MODEL_RUNS ?? 300);
const SEED = Number(process.env.MODEL_SEED ?? 20261206);

it(`keeps every rotation invariant over ${RUNS} random sequences (seed ${SEED})`, async () => {
  await fc.assert(rotationProperty(), { numRuns: RUNS, seed: SEED, timeout: 60_000, verbose: 1 });
}, 600_000);
