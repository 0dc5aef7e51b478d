// jsii-pacmak generates the Python package from the same assembly. Offline, only its code generation can run here:
// building the wheel needs pip packages this machine's index lacks (setuptools~=75.3.2, build~=1.5.0, twine~=7.0.0
// pinned by jsii-pacmak), and a Python CDK app needs the `jsii`, `aws-cdk-lib` and `constructs` wheels from PyPI.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

describe('Python bindings (jsii-pacmak --code-only)', () => {
  let src: string;

  beforeAll(() => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-pacmak-'));
    execFileSync(process.execPath, [require.resolve('jsii-pacmak/bin/jsii-pacmak'), '--targets', 'python', '--code-only', '-o', out], {
      cwd: ROOT,
      stdio: 'pipe',
      // jsii-pacmak runs `npm pack`, whose prepack script would rebuild dist/ and .jsii under the other suites' feet:
      // `npm test` has built them already.
      env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', npm_config_ignore_scripts: 'true' },
    });
    src = path.join(out, 'python', 'src', 'whatsapp_token_guard', '__init__.py');
  }, 120_000);

  it('generates the module with the constructs, props and enums', () => {
    const py = fs.readFileSync(src, 'utf8');
    for (const name of ['class WhatsAppTokenGuard(', 'class WhatsAppTokenFleet(', 'class WhatsAppTokenGuardProps:', 'class TokenRotationMode(', 'class GuardAlarm(', 'class GuardContract(']) expect(py).toContain(name);
    expect(py).toMatch(/def grant_read_token\(/);
  });

  it('generates Python that compiles', () => {
    const r = spawnSync('python3', ['-m', 'py_compile', src], { encoding: 'utf8' });
    if (r.error) throw new Error(`python3 is needed for this check: ${r.error.message}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
