// The package's bin is a plain-JavaScript shim: in a checkout where the operator command was never built, npx runs
// it and it says what to run (npx alone answers "whatsapp-token-guard: not found"); once built, it runs the command.
// That `npm ci` builds the command (the `prepare` script) is shown on a fresh clone by .ci/run, before `npm test`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string>; scripts: Record<string, string> };
const BIN = PKG.bin['whatsapp-token-guard'];

describe('the whatsapp-token-guard bin', () => {
  it('in a checkout without the built command, tells through npx what to run, and exits 2', () => {
    // GIVEN the package's manifest and its bin file, nothing built
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-unbuilt-'));
    try {
      fs.mkdirSync(path.join(dir, path.dirname(BIN)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, BIN), path.join(dir, BIN));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: PKG.name, version: '0.0.0', bin: PKG.bin }));
      // WHEN
      const r = spawnSync('npx', ['--no-install', 'whatsapp-token-guard', '--help'], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });
      // THEN
      expect(r.stderr).toContain('the operator command is not built');
      expect(r.stderr).toContain('Run `npm run build`');
      expect(r.status).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the built command with plain node', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, BIN), '--help'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^Usage: whatsapp-token-guard \[options\] \[command\]/);
    expect(r.status).toBe(0);
  });

  it('is built by `npm ci` (prepare: the command only, about a second) and `npm pack` (prepack: everything)', () => {
    expect(PKG.scripts.prepare).toBe('tsx scripts/build-cli.ts');
    expect(PKG.scripts.prepack).toBe('npm run build');
  });
});
