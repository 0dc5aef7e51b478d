// `cdk synth -c tokenGuard.appId=...` through the real CDK CLI, as a user types it: the CLI hands the app a context key
// "tokenGuard.appId", which the app now applies (it used to be ignored silently, leaving the example app id in place).
// The near-miss refusal and the other dotted forms are unit-tested in test/lib/context-keys.test.ts, on the same
// parseGuardContext that bin/app.ts calls with the whole context.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OFFLINE_ENV } from '../offline-env';

const ROOT = path.join(__dirname, '..', '..');

function synth(...context: string[]): { status: number | null; stderr: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-ctx-'));
  const r = spawnSync('npx', ['cdk', 'synth', '--quiet', ...context.flatMap((c) => ['-c', c]), '--output', outdir], { cwd: ROOT, env: OFFLINE_ENV, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stderr: r.stderr, outdir };
}

describe('cdk synth -c', () => {
  it('honours tokenGuard.appId=... on top of cdk.json: the stack carries that app id and no example-app-id refusal', () => {
    // WHEN
    const { status, stderr, outdir } = synth('tokenGuard.appId=102030405060708');
    // THEN
    expect(stderr).not.toMatch(/Configuration error|example app id/);
    expect(status).toBe(0);
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'WhatsAppTokenGuard.template.json'), 'utf8'));
    const fn = Object.values<{ Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Environment?.Variables.META_APP_ID).toBe('102030405060708');
    expect(template.Parameters?.TokenGuardAppIdIsTheExampleSetYourOwn).toBeUndefined();
  }, 200_000);
});
