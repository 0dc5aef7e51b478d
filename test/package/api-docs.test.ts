// API.md is generated from the JSDoc of the public API (the .jsii assembly `npm run build` writes), the Construct Hub
// convention. CI fails when the checked-in copy is out of date.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

describe('API.md', () => {
  it('is what jsii-docgen generates from the current public API (run `npm run docgen` when this fails)', () => {
    // GIVEN the assembly of the current build
    expect(fs.existsSync(path.join(ROOT, '.jsii'))).toBe(true);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-api-')), 'API.md');
    // WHEN
    execFileSync(process.execPath, [require.resolve('jsii-docgen/bin/jsii-docgen'), '-o', out], { cwd: ROOT, stdio: 'pipe' });
    // THEN
    expect(fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
  });

  it('documents the guard, the fleet and the enums a consumer alarms with', () => {
    const api = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8');
    for (const name of ['WhatsAppTokenGuard', 'WhatsAppTokenFleet', 'grantReadToken', 'metricTokenValid', 'GuardAlarm', 'GuardMetric', 'TokenRotationMode', 'GuardContract']) expect(api).toContain(name);
  });
});
