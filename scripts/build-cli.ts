// Builds the operator command into one CommonJS file, dist/cli/whatsapp-token-guard.js (the package's `bin`):
// no tsx or TypeScript at run time, and no runtime dependencies for the package (the AWS SDK clients and commander
// are bundled, pinned by the lockfile), which also keeps the jsii package free of non-jsii dependencies.
// aws-cdk-lib and constructs stay external: they are peer dependencies, and the command should never need them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.join(__dirname, '..');
export const CLI_FILE = path.join(ROOT, 'dist', 'cli', 'whatsapp-token-guard.js');

export async function buildCli(): Promise<void> {
  const t0 = Date.now();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'bin', 'token-guard.ts')],
    outfile: CLI_FILE,
    bundle: true,
    platform: 'node',
    // The oldest Node in package.json `engines`.
    target: 'node20',
    format: 'cjs',
    minify: true,
    // Keeps class names (CliError, SDK exception names) for error mapping.
    keepNames: true,
    sourcemap: false,
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
    logLevel: 'silent',
  });
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
    throw new Error(`esbuild warned while bundling the CLI; fix it:\n${text.join('\n')}`);
  }
  fs.chmodSync(CLI_FILE, 0o755);
  process.stderr.write(`Built the operator command in ${Date.now() - t0} ms: ${(fs.statSync(CLI_FILE).size / 1024).toFixed(0)} KiB (dist/cli)\n`);
}

if (require.main === module) {
  buildCli().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
