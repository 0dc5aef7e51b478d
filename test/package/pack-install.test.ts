// The package as a platform team gets it: `npm pack`, then fresh CDK apps that install only the tarball and the
// registry's aws-cdk-lib and constructs (from the npm cache, `--prefer-offline`): one at the newest aws-cdk-lib this
// repository pins and one at the oldest the package declares (`peerDependencies`), each type-checking the README's
// example with `skipLibCheck: false` and synthesizing it. The newest one also synthesizes with plain node (no esbuild,
// tsx or TypeScript there) and runs the installed operator command.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readManifest, sha256 } from '../../scripts/build-lambda';

const ROOT = path.join(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  bin: Record<string, string>;
};
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the tarball may hold; anything else (tests, fixtures, sources, cdk.out, maps) fails the suite. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^dist\/lib\/.+\.(js|d\.ts)$/,
  /^dist\/lambda\/contract\.(js|d\.ts)$/,
  /^dist\/cli\/whatsapp-token-guard\.js$/,
  /^bin\/whatsapp-token-guard\.js$/,
  /^assets\/lambda\/[a-z-]+\.js$/,
  /^assets\/manifest\.json$/,
  /^\.jsii$/,
  /^API\.md$/,
];

/** The first TypeScript block of the README's "Use it in your CDK app" section, exactly as written. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const heading = /^#{2,3} Use it in your CDK app$/m.exec(readme);
  if (!heading) throw new Error('README: no "Use it in your CDK app" heading');
  const section = readme.slice(heading.index);
  const block = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('README: no ```ts block under "Use it in your CDK app"');
  return `${block[1]}\n`;
}

/**
 * What a CDK user does beyond the README example, compiled and run in the same consumer app: hang an action on a
 * guard's alarm (it did not compile while alarms were typed IAlarm), and make each prop mistake of issue 22; every
 * one must throw naming the construct path and the prop, recognisably in every language (`GuardErrors`) and as the
 * exported class for TypeScript (`whatsapp-token-guard/errors`).
 */
const CONSUMER_CHECKS = `import { App, Stack } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GuardAlarm, GuardErrors, TokenRotationMode, WhatsAppTokenGuard, WhatsAppTokenGuardProps } from '${PKG.name}';
import { GuardPropsError } from '${PKG.name}/errors';

const app = new App();
const stack = new Stack(app, 'Checks');
const guard = new WhatsAppTokenGuard(stack, 'Guard', { tokenName: 'primary', appId: ' 102030405060708 ' });
guard.alarm(GuardAlarm.TOKEN_INVALID)?.addAlarmAction(new actions.SnsAction(new sns.Topic(stack, 'Pager')));

const mistakes: [string, Partial<WhatsAppTokenGuardProps>][] = [
  ['rotation.mode', { rotation: { mode: 'Refresh' as TokenRotationMode } }],
  ['alarmEmail', { alarmEmail: 'oncall@example' }],
  ['alarmEmail', { alarmEmail: 'oncall@example.com', alarmTopic: new sns.Topic(stack, 'Own') }],
  ['tokenName', { tokenName: 'primary' }],
];
const refusals = mistakes.map(([prop, props], i) => {
  try {
    new WhatsAppTokenGuard(stack, 'Mistake' + i, { tokenName: 'other' + i, appId: '102030405060708', ...props });
    return { prop, message: 'accepted' };
  } catch (e) {
    return { prop, message: (e as Error).message, isPropsError: GuardErrors.isPropsError(e), instance: e instanceof GuardPropsError };
  }
});
console.log(JSON.stringify({ appId: guard.appId, refusals }));
`;

/** The oldest aws-cdk-lib the package declares: the floor of its `^x.y.z` peer range. */
const FLOOR = /^\^(\d+\.\d+\.\d+)$/.exec(PKG.peerDependencies['aws-cdk-lib'])?.[1];
/** The newest: what this repository builds and tests with. */
const CURRENT = PKG.devDependencies['aws-cdk-lib'];

let dir: string;
let files: string[];
let tarball: string;
/** One CDK app per aws-cdk-lib version, each with only the tarball, aws-cdk-lib and constructs. */
const apps: Record<string, string> = {};

function consumerApp(cdkVersion: string): string {
  const app = path.join(dir, `app-${cdkVersion}`);
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer-app',
      private: true,
      dependencies: { 'aws-cdk-lib': cdkVersion, constructs: PKG.devDependencies.constructs, [PKG.name]: `file:../${path.basename(tarball)}` },
    }),
  );
  // Only the tarball and the registry (through the npm cache): no link to this checkout. A peer range that excludes
  // the version fails here with ERESOLVE, as it would for a user.
  execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'pipe' });
  return app;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-consumer-'));
  // --ignore-scripts: `npm test` built everything already; `prepack` would build it all again.
  const packed = JSON.parse(execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(dir, packed[0].filename);
  files = packed[0].files.map((f) => f.path).sort();
  for (const v of new Set([CURRENT, FLOOR!])) apps[v] = consumerApp(v);
}, 300_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships only compiled JavaScript, declarations, the prebuilt bundles, the manifest and the docs', () => {
    const unexpected = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((f) => /^(test|cdk\.out|bench|scripts|lambda)\//.test(f))).toBe(false);
    expect(files.filter((f) => f.startsWith('bin/'))).toEqual(['bin/whatsapp-token-guard.js']);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'API.md', '.jsii', 'dist/lib/index.js', 'dist/lib/index.d.ts', PKG.bin['whatsapp-token-guard'], 'assets/lambda/router.js']));
  });
});

describe(`a CDK app at aws-cdk-lib ${CURRENT} that installed the tarball`, () => {
  const cwd = (): string => apps[CURRENT];

  it('has the jsii assembly Construct Hub and the other languages read, with the constructs in it', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(cwd(), 'node_modules', PKG.name, '.jsii'), 'utf8')) as { name: string; types: Record<string, unknown>; targets?: Record<string, unknown> };
    expect(assembly.name).toBe(PKG.name);
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining([`${PKG.name}.WhatsAppTokenGuard`, `${PKG.name}.WhatsAppTokenFleet`, `${PKG.name}.GuardContract`]));
    expect(assembly.targets).toHaveProperty('python');
  });

  it('installs no bundler or TypeScript tooling with it', () => {
    for (const tool of ['esbuild', 'tsx', 'typescript', 'ts-node']) expect(fs.existsSync(path.join(cwd(), 'node_modules', tool))).toBe(false);
  });

  it('synthesizes WhatsAppTokenGuard with plain node, the function running the shipped bundle from its code asset', () => {
    // GIVEN the README's few lines in a JavaScript app
    fs.writeFileSync(
      path.join(cwd(), 'app.js'),
      [
        "const { App, Stack } = require('aws-cdk-lib');",
        `const { WhatsAppTokenGuard } = require('${PKG.name}');`,
        "const app = new App({ outdir: 'cdk.out' });",
        "const stack = new Stack(app, 'ConsumerStack', { env: { account: '111111111111', region: 'us-east-1' } });",
        "new WhatsAppTokenGuard(stack, 'Guard', { tokenName: 'primary', appId: '1234567890123456' });",
        'app.synth();',
      ].join('\n'),
    );
    // WHEN
    execFileSync(process.execPath, ['app.js'], { cwd: cwd(), stdio: 'pipe' });
    // THEN the template holds the function, and its S3 key is an asset whose directory is the shipped bundle
    const outdir = path.join(cwd(), 'cdk.out');
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'ConsumerStack.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(1);
    expect(fns[0].Properties).toMatchObject({ Handler: 'router.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    const assets = JSON.parse(fs.readFileSync(path.join(outdir, 'ConsumerStack.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
    const asset = Object.values(assets.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === fns[0].Properties.Code.S3Key));
    expect(asset).toBeDefined();
    const codeDir = path.join(outdir, asset!.source.path);
    // The function's zip holds its own entry point's bundle only, byte for byte as the build wrote it.
    expect(fs.readdirSync(codeDir)).toEqual(['router.js']);
    expect(sha256(path.join(codeDir, 'router.js'))).toBe(readManifest()!.entries.router.sha256);
  });

  it('runs the installed operator command through `npx --no-install`', () => {
    const r = spawnSync(NPM === 'npm' ? 'npx' : 'npx.cmd', ['--no-install', 'whatsapp-token-guard', '--help'], { cwd: cwd(), encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: whatsapp-token-guard \[options\] \[command\]/);
  });
});

describe.each([
  ['the newest aws-cdk-lib this repository pins', CURRENT],
  ['the oldest aws-cdk-lib the package declares (peerDependencies)', FLOOR!],
])('a CDK app at %s (%s)', (_label, cdkVersion) => {
  it('installed exactly that aws-cdk-lib next to the tarball', () => {
    expect(JSON.parse(fs.readFileSync(path.join(apps[cdkVersion], 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version).toBe(cdkVersion);
  });

  it('type-checks the README\'s "Use it in your CDK app" example and a user\'s alarm action against the shipped declarations with skipLibCheck false', () => {
    const app = apps[cdkVersion];
    fs.writeFileSync(path.join(app, 'consumer.ts'), readmeExample());
    fs.writeFileSync(path.join(app, 'checks.ts'), CONSUMER_CHECKS);
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          outDir: 'out',
          // Every declaration file is checked, the package's and aws-cdk-lib's, as in a consumer that never skips them.
          skipLibCheck: false,
          // A CDK app has @types/node; the consumer folder borrows this repository's rather than installing it.
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts', 'checks.ts'],
      }),
    );
    // The repository's compiler, pointed at the consumer's folder: the consumer itself has no TypeScript.
    const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', app], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 240_000);

  it('synthesizes the README example as written: the guard, the reader\'s grant, the user\'s alarm action, the alarm and the event rule', () => {
    // GIVEN the README block as the type check above compiled it
    const app = apps[cdkVersion];
    const outdir = path.join(app, 'cdk.out.readme');
    // WHEN
    execFileSync(process.execPath, [path.join('out', 'consumer.js')], { cwd: app, stdio: 'pipe', env: { ...process.env, CDK_OUTDIR: outdir } });
    // THEN
    const template = JSON.stringify(JSON.parse(fs.readFileSync(path.join(outdir, 'Messaging.template.json'), 'utf8')));
    expect(template).toContain('"Handler":"router.handler"');
    expect(template).toContain('"source":["whatsapp-token-guard"],"detail-type":["WhatsApp Token Health Changed"]');
    expect(template).toContain('"MetricName":"DaysUntilExpiry"');
    expect(template).toMatch(/"Action":"secretsmanager:GetSecretValue"|"secretsmanager:GetSecretValue"/);
    // the user's own action on the TokenInvalid alarm
    const alarms = Object.values(JSON.parse(template).Resources as Record<string, { Type: string; Properties: { AlarmName?: string; AlarmActions?: unknown[] } }>).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(JSON.stringify(alarms.find((a) => a.Properties.AlarmName === 'Messaging-primary-TokenInvalid')?.Properties.AlarmActions)).toMatch(/"Ref":"Pager/);
  });

  it('refuses each prop mistake naming the construct path and the prop, and trims the app id', () => {
    // GIVEN the checks as the type check above compiled them
    // WHEN
    const out = JSON.parse(execFileSync(process.execPath, [path.join('out', 'checks.js')], { cwd: apps[cdkVersion], encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: path.join(apps[cdkVersion], 'cdk.out.checks') } })) as {
      appId: string;
      refusals: { prop: string; message: string; isPropsError?: boolean; instance?: boolean }[];
    };
    // THEN
    expect(out.appId).toBe('102030405060708');
    for (const [i, r] of out.refusals.entries()) {
      expect(r.message.startsWith(`Checks/Mistake${i}: WhatsAppTokenGuard prop "${r.prop}" `)).toBe(true);
      expect(r).toMatchObject({ isPropsError: true, instance: true });
    }
    expect(out.refusals).toHaveLength(4);
  });
});
