// The only place in lib/ that names Lambda code. The bundles are built once, at package build, by
// scripts/build-lambda.ts (like aws-cdk's custom-resource-handlers and projen's LambdaFunction): the app, the
// tests and the npm package all deploy the same bytes, and a consumer's synth needs no esbuild or TypeScript.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { GuardEntry } from './guard-entries';

export { GuardEntry } from './guard-entries';

/** The package root: the nearest folder with a package.json, from lib/private/ (source) or dist/lib/private/ (compiled). */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`whatsapp-token-guard: no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** Where scripts/build-lambda.ts writes the bundles, one `<entry>.js` each. */
export const ASSET_DIR = path.join(packageRoot(__dirname), 'assets', 'lambda');

export interface GuardFunctionProps extends lambda.FunctionOptions {
  /** Which prebuilt entry point this function runs. */
  readonly entry: GuardEntry;
}

/** A Lambda function running one of the package's prebuilt entry points on Node.js 24, arm64. */
export class GuardFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    const { entry, ...options } = props;
    const bundle = path.join(ASSET_DIR, `${entry}.js`);
    if (!fs.existsSync(bundle)) {
      throw new Error(`No Lambda bundle "${entry}" at ${bundle}. Run \`npm run build\` first (it writes assets/lambda/ from lambda/).`);
    }
    super(scope, id, {
      ...options,
      // Only this entry's bundle goes into the function's zip (the folder holds every entry point's).
      code: lambda.Code.fromAsset(ASSET_DIR, { exclude: ['*', `!${entry}.js`] }),
      handler: `${entry}.handler`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
    });
  }
}
