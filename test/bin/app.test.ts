// The CDK app entry as `cdk synth` runs it: context in CDK_CONTEXT_JSON, output to CDK_OUTDIR.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

function runApp(context: Record<string, unknown>): { status: number | null; stderr: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-app-'));
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context), AWS_EC2_METADATA_DISABLED: 'true' },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr, outdir };
}

describe('bin/app.ts', () => {
  it('synthesizes the default app offline, with cdk-nag passing', () => {
    const { status, stderr, outdir } = runApp(CONTEXT);
    expect(stderr).not.toMatch(/Validation failed/);
    expect(status).toBe(0);
    expect(fs.existsSync(path.join(outdir, 'WhatsAppTokenGuard.template.json'))).toBe(true);
  });

  it('rejects bad cdk.json context at synth time with the field name and the fix, not a stack trace', () => {
    const { status, stderr } = runApp({ ...CONTEXT, tokenGuard: { ...CONTEXT.tokenGuard, appId: 'my-app' } });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^Configuration error: cdk.json context "tokenGuard.appId" has an invalid value "my-app". Set it to your Meta app's numeric id/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
