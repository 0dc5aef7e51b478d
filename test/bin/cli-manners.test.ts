// The operator command's manners, in-process and as the compiled file the package ships: --version, and every
// subcommand's help listing the global options that work after it (`check --token primary`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../bin/cli/main';

const ROOT = path.join(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const GLOBAL = ['--token <name>', '--stack <name>', '--region <region>', '--profile <profile>'];
const SUBCOMMANDS = ['set-token', 'set-app-secret', 'rotate', 'check', 'status', 'history', 'fleet add', 'fleet list'];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await runCli(argv, { stdin: Readable.from([]) as never, stdout, stderr, env: {} });
  return { code, out, err };
}

describe('whatsapp-token-guard --version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    const r = await cli([flag]);
    expect(r.out.trim()).toBe(PKG.version);
    expect(r.code).toBe(0);
  });

  it('the compiled command prints it too (the version is bundled at build time)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'whatsapp-token-guard.js'), '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(PKG.version);
    expect(r.status).toBe(0);
  });
});

describe('each subcommand\'s --help', () => {
  it.each(SUBCOMMANDS)('%s lists the global options --token, --stack, --region and --profile', async (subcommand) => {
    const r = await cli([...subcommand.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Global Options:/);
    for (const option of GLOBAL) expect(r.out).toContain(option);
  });

  it('and the global options work after the subcommand, as the help now suggests', async () => {
    // --token and --region after `history` are parsed as the global options; the bad --limit then stops the command
    // before any AWS call.
    const r = await cli(['history', '--token', 'primary', '--region', 'eu-west-1', '--limit', '0']);
    expect(r.err).not.toMatch(/unknown option/);
    expect(r.err).toMatch(/--limit must be a whole number from 1 to 500, got "0"/);
    expect(r.code).toBe(2);
  });
});
