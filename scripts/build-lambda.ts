// Builds every Lambda entry point once, at package build, into assets/lambda/<entry>.js: the same bytes
// the repository's app deploys, the tests run and the npm package ships (no bundling in a consumer's synth).
// Options are those NodejsFunction used (node24, CommonJS, minified) with a pinned AWS SDK bundled on purpose
// rather than the runtime's copy. Writes assets/manifest.json with a hash of everything the bundles are
// built from; test/scripts/build-lambda.test.ts recomputes it, so no test passes against a stale bundle.
//
//   tsx scripts/build-lambda.ts             build
//   tsx scripts/build-lambda.ts --if-stale  build only when the sources changed since the last build
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENTRY_SOURCES, GuardEntry } from '../lib/private/guard-entries';

export const ROOT = path.join(__dirname, '..');
export const ASSET_DIR = path.join(ROOT, 'assets', 'lambda');
export const MANIFEST_FILE = path.join(ROOT, 'assets', 'manifest.json');

/** What the bundles are built from: the Lambda sources, the pinned dependency tree, this script and the entry list. */
const INPUT_DIRS = ['lambda'];
const INPUT_FILES = ['package-lock.json', 'scripts/build-lambda.ts', 'lib/private/guard-entries.ts'];

/**
 * esbuild warnings we accept, each with the reason (like aws-cdk's custom-resource-handlers build). Any other
 * warning, a risky require above all, fails the build.
 */
const ACCEPTED_WARNINGS: readonly { readonly text: RegExp; readonly reason: string }[] = [];

export interface LambdaManifest {
  /** sha256 over the inputs (paths and contents), see sourceHash(). */
  readonly sourceHash: string;
  readonly esbuild: string;
  readonly entries: Record<string, { readonly source: string; readonly file: string; readonly bytes: number; readonly sha256: string }>;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** sha256 over the sorted input paths and their bytes. */
export function sourceHash(): string {
  const files = [...INPUT_DIRS.flatMap(filesUnder), ...INPUT_FILES].sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(ROOT, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

export function readManifest(): LambdaManifest | undefined {
  return fs.existsSync(MANIFEST_FILE) ? (JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')) as LambdaManifest) : undefined;
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** True when the manifest matches the sources and every bundle it lists is there with its recorded hash. */
export function isFresh(): boolean {
  const m = readManifest();
  if (!m || m.sourceHash !== sourceHash()) return false;
  return Object.values(GuardEntry).every((e) => {
    const entry = m.entries[e];
    const file = path.join(ASSET_DIR, `${e}.js`);
    return entry !== undefined && fs.existsSync(file) && sha256(file) === entry.sha256;
  });
}

export async function buildLambda(): Promise<LambdaManifest> {
  // Loaded here so `--if-stale` on a fresh tree costs no esbuild start-up.
  const esbuild = await import('esbuild');
  const hash = sourceHash();
  fs.rmSync(ASSET_DIR, { recursive: true, force: true });
  fs.mkdirSync(ASSET_DIR, { recursive: true });
  const entries: Record<string, LambdaManifest['entries'][string]> = {};
  for (const entry of Object.values(GuardEntry)) {
    const source = ENTRY_SOURCES[entry];
    const outfile = path.join(ASSET_DIR, `${entry}.js`);
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, source)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      sourcemap: false,
      // Every dependency, the AWS SDK included, goes into the bundle: a pinned SDK rather than the runtime's copy,
      // which changes under a deployed function (July 2025 Lambda images shipped an AWS_ENDPOINT_URL regression:
      // smithy-lang/smithy-typescript#1645, aws/aws-lambda-base-images#305).
      external: [],
      logLevel: 'silent',
      metafile: false,
    });
    const unexpected = result.warnings.filter((w) => !ACCEPTED_WARNINGS.some((a) => a.text.test(w.text)));
    if (unexpected.length > 0) {
      const text = await esbuild.formatMessages(unexpected, { kind: 'warning' });
      throw new Error(`esbuild warned while bundling ${source}; fix it or add it to ACCEPTED_WARNINGS with the reason:\n${text.join('\n')}`);
    }
    entries[entry] = { source, file: `assets/lambda/${entry}.js`, bytes: fs.statSync(outfile).size, sha256: sha256(outfile) };
  }
  const manifest: LambdaManifest = { sourceHash: hash, esbuild: esbuild.version, entries };
  fs.writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function main(): Promise<void> {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && isFresh()) return;
  const t0 = Date.now();
  const m = await buildLambda();
  const sizes = Object.entries(m.entries).map(([e, v]) => `${e}.js ${(v.bytes / 1024).toFixed(0)} KiB`);
  process.stderr.write(`Built the Lambda bundles in ${Date.now() - t0} ms: ${sizes.join(', ')} (assets/lambda)\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
