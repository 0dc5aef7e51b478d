// Every README example that can run offline runs here as written, and so do those of the docs/ pages it links to:
// the cdk synth commands, the construct in a user's own stack (compiled against lib/ and checked with cdk-nag), and the
// bring-your-own-topic policy. Commands that need AWS run until the first AWS call, which proves they parse (no
// unknown command or flag). A command the test cannot classify fails it, so a new example has to be placed in one of
// the lists. Every relative link of these pages resolves to a file, and its #anchor to a heading of that file.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PUBLISHER_SIDS } from '../lib/alarm-topic';
import { parseGuardConfig } from '../lib/config';
import { WhatsAppTokenGuardStack } from '../lib/whatsapp-token-guard-stack';
import { OFFLINE_ENV } from './offline-env';

const ROOT = path.join(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
/** The README and every page of docs/. */
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const text = (page: string): string => fs.readFileSync(path.join(ROOT, page), 'utf8');

interface Block {
  readonly lang: string;
  readonly body: string;
  readonly heading: string;
}

function blocks(page: string): Block[] {
  const out: Block[] = [];
  let heading = '';
  const lines = text(page).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^#{2,4} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    out.push({ lang: open[1], body: body.join('\n'), heading });
  }
  return out;
}

/** Shell commands: every line of a bash block (comments stripped), and `$ ` lines of output examples. */
function commands(): string[] {
  const cmds: string[] = [];
  for (const b of PAGES.flatMap(blocks)) {
    if (b.lang === 'bash') {
      for (const line of b.body.split('\n')) {
        const cmd = line.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim();
        if (cmd) cmds.push(cmd);
      }
    } else if (b.lang === '') {
      for (const line of b.body.split('\n')) if (line.startsWith('$ ')) cmds.push(line.slice(2).trim());
    }
  }
  return cmds;
}

/** CI has already run these (`npm ci`, then `npm test`, which builds): a test cannot run them again inside itself. */
const CI_STEPS = [/^npm ci$/, /^npm test$/, /^npm run build$/, /^npm run bench$/];
/** The install from the packed tarball: test/package/pack-install.test.ts packs and installs it like this. */
const TARBALL = `${PKG.name}-${PKG.version}.tgz`;
const PACKAGE_STEPS = [/^npm pack$/, new RegExp(`^npm install \\S*/${TARBALL.replace(/\./g, '\\.')}$`)];
/** Needs an AWS account: runs until its first AWS call (see below), or is the AWS CLI. */
const NEEDS_AWS = [/^npx cdk (deploy|destroy|bootstrap)\b/, /^aws /];
const OPERATOR = /^npx --no-install whatsapp-token-guard\b/;
const SYNTH = /^npx cdk synth\b/;

function run(command: string, env: NodeJS.ProcessEnv, cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


describe('README and docs/ commands', () => {
  const all = commands().flatMap((c) => c.split(/\s+&&\s+/));

  it('are each either run here, a CI step, or an AWS command', () => {
    const unknown = all.filter((c) => !SYNTH.test(c) && !OPERATOR.test(c) && ![...NEEDS_AWS, ...CI_STEPS, ...PACKAGE_STEPS].some((r) => r.test(c)));
    expect(unknown).toEqual([]);
  });

  const synths = [...new Set(all.filter((c) => SYNTH.test(c)))];
  it.each(synths)('%s synthesizes offline', (command) => {
    // GIVEN an output directory of its own, so the run does not touch cdk.out
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-synth-'));
    // WHEN
    const r = run(`${command} --output ${outdir}`, OFFLINE_ENV);
    // THEN
    expect(r.stderr).not.toMatch(/Configuration error|Validation failed|Error:/);
    expect(r.status).toBe(0);
    expect(fs.readdirSync(outdir).some((f) => f.endsWith('.template.json'))).toBe(true);
  });

  const operator = [...new Set(all.filter((c) => OPERATOR.test(c)))];
  it.each(operator)('%s parses and stops only for want of AWS credentials', (command) => {
    // GIVEN a working directory with the files the examples read
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-cli-'));
    fs.writeFileSync(path.join(cwd, 'token.txt'), 'EAAGexampleTOKENnotREAL000\n');
    // WHEN run from the project, where --no-install finds the built command
    const r = run(`cd ${JSON.stringify(cwd)} && ${command.replace(/^npx --no-install whatsapp-token-guard/, `node ${JSON.stringify(path.join(ROOT, 'dist/cli/whatsapp-token-guard.js'))}`)}`, OFFLINE_ENV);
    // THEN
    expect(r.stderr).not.toMatch(/unknown (command|option)|error: /i);
    // (set-token and set-app-secret refuse an obviously bad value, here an empty stdin, before any AWS call)
    expect(r.stderr).toMatch(/No AWS credentials found|is empty\. Nothing was changed/);
    expect(r.status).toBe(2);
  });

  it('npx --no-install finds the built command in this repository', () => {
    const r = run('npx --no-install whatsapp-token-guard --help', OFFLINE_ENV);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: whatsapp-token-guard/);
  });
});

describe('docs/library.md "The construct in your own stack"', () => {
  const block = blocks('docs/library.md').find((b) => b.lang === 'ts' && b.heading === 'The construct in your own stack');

  it('synthesizes as written against this package, clean under cdk-nag, with names of its own', () => {
    expect(block).toBeDefined();
    // GIVEN the block, importing this checkout instead of the installed package, checked with cdk-nag before it synthesizes
    const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.readme-'));
    try {
      const source = block!.body
        .replace(/from 'whatsapp-token-guard'/g, `from ${JSON.stringify(path.join(ROOT, 'lib'))}`)
        .replace(/^app\.synth\(\);$/m, [
          "import { AwsSolutionsChecks } from 'cdk-nag';",
          'const violations = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);',
          "if (violations.length) { console.error(`cdk-nag: ${violations.join(', ')}`); process.exit(3); }",
          'app.synth();',
        ].join('\n'));
      const file = path.join(dir, 'example.ts');
      fs.writeFileSync(file, source);
      const outdir = path.join(dir, 'out');
      // WHEN
      const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', file], { cwd: ROOT, env: { ...OFFLINE_ENV, CDK_OUTDIR: outdir }, encoding: 'utf8', timeout: 120_000 });
      // THEN
      expect(r.stderr).not.toMatch(/cdk-nag|Error/);
      expect(r.status).toBe(0);
      const template = JSON.parse(fs.readFileSync(path.join(outdir, 'PaymentsService.template.json'), 'utf8'));
      const names = Object.values<{ Type: string; Properties: { Name?: string } }>(template.Resources)
        .filter((x) => x.Type === 'AWS::SecretsManager::Secret')
        .map((x) => x.Properties.Name)
        .sort();
      expect(names).toEqual(['payments/meta-app-secret', 'whatsapp-token-guard/PaymentsService/marketing/token', 'whatsapp-token-guard/PaymentsService/support/token']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/library.md "Bring your own topic"', () => {
  const json = blocks('docs/library.md').find((b) => b.lang === 'json' && b.heading === 'Bring your own topic');

  it('lists exactly the statements the guard writes on a topic and key of its own', () => {
    // GIVEN the statements of the topic the app creates, with the placeholders filled in
    const app = new App();
    const stack = new WhatsAppTokenGuardStack(app, 'S', { config: parseGuardConfig({ appId: '987654321098765', tokens: [{ name: 'primary' }] }), env: { account: '111111111111', region: 'us-east-1' } });
    const t = Template.fromStack(stack);
    const resolve = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":([^"]*)"\]\]\}/g, '"arn:aws:$1"'));
    const written = (type: string, prop: string, sids: string[]): unknown[] =>
      Object.values(t.findResources(type))
        .flatMap((r) => r.Properties[prop].Statement)
        .filter((s: { Sid?: string }) => sids.includes(s.Sid ?? ''))
        .map((s: Record<string, unknown>) => resolve({ ...s, Resource: type === 'AWS::SNS::TopicPolicy' ? '<topic-arn>' : s.Resource }));
    const fill = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/<account>/g, '111111111111').replace(/<region>/g, 'us-east-1'));
    // WHEN
    const documented = JSON.parse(json!.body);
    // THEN
    const bySid = (a: unknown[]): unknown[] => [...a].sort((x, y) => String((x as { Sid: string }).Sid).localeCompare((y as { Sid: string }).Sid));
    expect(bySid(fill(documented.topicPolicyStatements) as unknown[])).toEqual(bySid(written('AWS::SNS::TopicPolicy', 'PolicyDocument', [PUBLISHER_SIDS.cloudWatchTopic, PUBLISHER_SIDS.eventBridgeTopic])));
    expect(bySid(fill(documented.keyPolicyStatementsIfEncrypted) as unknown[])).toEqual(bySid(written('AWS::KMS::Key', 'KeyPolicy', [PUBLISHER_SIDS.cloudWatchKey, PUBLISHER_SIDS.eventBridgeKey])));
  });
});

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, each space a `-`. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(page: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of text(page).split('\n')) {
    if (/^```/.test(line)) fence = !fence;
    const h = !fence && /^#{1,6} (.+)$/.exec(line);
    if (h) out.add(slug(h[1]));
  }
  return out;
}

/** Every relative link outside code: `[text](target)` with no scheme. */
function links(page: string): string[] {
  const prose = text(page).replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('README and docs/ links', () => {
  it.each(PAGES)('every relative link of %s names an existing file and heading', (page) => {
    const broken = links(page).filter((target) => {
      const [file, anchor] = target.split('#');
      const resolved = file ? path.normalize(path.join(path.dirname(page), file)) : page;
      if (!fs.existsSync(path.join(ROOT, resolved))) return true;
      return anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('the README links every docs/ page, so none is an orphan', () => {
    const linked = new Set(links('README.md').map((t) => path.normalize(t.split('#')[0])));
    expect(PAGES.filter((p) => p !== 'README.md' && !linked.has(p))).toEqual([]);
  });
});

describe('README shape', () => {
  it('opens with the two commands CI runs: install + offline synth, install + tests', () => {
    const first = blocks('README.md')[0];
    expect(first.lang).toBe('bash');
    expect(first.body.split('\n').map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npx cdk synth', 'npm ci && npm test']);
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
    // Nothing but a title and a short pitch above them.
    expect(text('README.md').indexOf('```bash')).toBeLessThan(600);
  });

  it('stays short enough to read in one sitting (depth goes to docs/)', () => {
    expect(text('README.md').split('\n').length).toBeLessThan(400);
  });

  it('installs the tarball `npm pack` writes for this version', () => {
    expect(text('README.md')).toContain(TARBALL);
  });
});
