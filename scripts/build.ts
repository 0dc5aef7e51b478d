// `npm run build`: everything the package ships and the tests use, from a clean dist/:
//   1. the Lambda bundles (assets/lambda/, scripts/build-lambda.ts),
//   2. the operator command (dist/cli/, scripts/build-cli.ts),
//   3. jsii: lib/ to JavaScript and declarations in dist/, plus the .jsii assembly other languages and Construct Hub
//      read (tsconfig.build.json; lambda/, bin/ and test/ stay out, except the import-free lambda/contract.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCli } from './build-cli';
import { buildLambda } from './build-lambda';

const ROOT = path.join(__dirname, '..');

/** The jsii tools print a twelve-line box on Node 20 (end of life); engines and the CHANGELOG say what we support. */
export const JSII_QUIET_ENV = { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

async function main(): Promise<void> {
  fs.rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
  fs.rmSync(path.join(ROOT, '.jsii'), { force: true });
  const m = await buildLambda();
  process.stderr.write(`Built the Lambda bundles: ${Object.entries(m.entries).map(([e, v]) => `${e}.js ${(v.bytes / 1024).toFixed(0)} KiB`).join(', ')} (assets/lambda)\n`);
  await buildCli();
  const t0 = Date.now();
  // JSII6 asks for a devDependency on aws-cdk-lib at the peer floor (2.252.0). The repository builds and tests with the
  // newest release it pins; test/package/pack-install.test.ts proves the floor in a consumer app instead.
  const jsii = spawnSync(process.execPath, [require.resolve('jsii/bin/jsii'), '--silence-warnings', 'JSII6'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, ...JSII_QUIET_ENV } });
  if (jsii.status !== 0) {
    process.stderr.write(jsii.stdout);
    throw new Error('jsii failed: the public API in lib/index.ts must use only classes, interfaces and enums (see the errors above).');
  }
  process.stderr.write(`Compiled lib/ with jsii in ${Date.now() - t0} ms (dist/lib, .jsii)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
