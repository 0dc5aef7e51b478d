// Footprint and limits of the single guard for `npm run bench`: CloudFormation resources and EventBridge rules per
// token and per stack (from synthesized templates), the largest token count one stack holds with and without asset
// probes (computed by lib/private/stack-budget.ts, then synthesized to prove it, and one more refused by the config),
// and synth time at 1, 10 and that many tokens against the minimal app. Nothing here is a test: a figure never fails
// the build, but a stack that does not synthesize throws, and so fails the bench.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseGuardConfig } from '../lib/config';
import { appStackBudget, appStackShapeOf, MAX_RESOURCES_PER_STACK, RESERVED_FOR_CDK_METADATA, tokensThatFit } from '../lib/private/stack-budget';
import { Assembly, synthesize } from '../test/e2e/cloud-assembly';
import { APP_ID, PHONE_ID, WABA_ID } from '../test/fakes/canary';
import { table } from './format';

const ROOT = path.join(__dirname, '..');
/** EventBridge's default quota of rules per event bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html). */
const RULES_PER_BUS = 300;

export interface FootprintOptions {
  readonly quick: boolean;
  /** Already synthesized by the caller: 1 and 2 tokens at default settings (the `plain` configs). */
  readonly plain1?: Assembly;
  readonly plain2?: Assembly;
}

type Config = Record<string, unknown>;
const tokens = (n: number, full: boolean): Config[] =>
  Array.from({ length: n }, (_, i) => ({ name: `token${i + 1}`, ...(full ? { wabaId: WABA_ID, phoneNumberId: PHONE_ID, rotation: { mode: 'refresh' } } : {}) }));
/** The default settings, and the heaviest: asset probes, refresh rotation and a customer managed key. */
const plain = (n: number): Config => ({ appId: APP_ID, tokens: tokens(n, false) });
const full = (n: number): Config => ({ appId: APP_ID, customerManagedKey: true, tokens: tokens(n, true) });

const resourcesOf = (a: Assembly): number => Object.keys(a.template.Resources).length;
const rulesOf = (a: Assembly): number => Object.values(a.template.Resources).filter((r) => r.Type === 'AWS::Events::Rule').length;

/** 200 tokens of `make`'s kind as the budget sees them (parsing 200 would be refused, so the shape is built from one). */
function shapeTokens(make: (n: number) => Config): ReturnType<typeof appStackShapeOf>['tokens'] {
  const one = appStackShapeOf(parseGuardConfig(make(1))).tokens[0];
  return Array.from({ length: 200 }, (_, i) => ({ ...one, name: `token${i + 1}` }));
}

/** One more than fit must be refused by the configuration, with its reason. */
function refusedBeyond(make: (n: number) => Config, max: number): string {
  try {
    parseGuardConfig(make(max + 1));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`bench: the config accepted ${max + 1} tokens, one more than the ${max} the budget says fit`);
}

/** `bin/app.ts` with `config`, cdk-nag included, in a fresh process: wall time, and the template it wrote. */
function synthApp(config: Config): { ms: number; resources: number; rules: number; bytes: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const context = { ...JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context, tokenGuard: config };
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'bin', 'app.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench: bin/app.ts with ${(config.tokens as unknown[]).length} tokens did not synthesize: ${r.stderr.slice(-2000)}`);
  const file = fs.readdirSync(outdir).find((f) => f.endsWith('.template.json'))!;
  const text = fs.readFileSync(path.join(outdir, file), 'utf8');
  const res = (JSON.parse(text) as { Resources: Record<string, { Type: string }> }).Resources;
  return { ms, resources: Object.keys(res).length, rules: Object.values(res).filter((x) => x.Type === 'AWS::Events::Rule').length, bytes: Buffer.byteLength(text) };
}

function synthMinimal(): number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'minimal-app.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true }) }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: the minimal app did not synthesize: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Prints the tables; `plain(n)` is `{ appId, tokens: token1..tokenN }`, the cost tables' own configuration. */
export function footprintBench(o: FootprintOptions): void {
  // Per token and per stack: the difference between 1 and 2 tokens, and what is left at 1.
  const [p1, p2] = [o.plain1 ?? synthesize(plain(1)), o.plain2 ?? synthesize(plain(2))];
  const [f1, f2] = [full(1), full(2)].map((c) => synthesize(c));
  const row = (what: string, one: Assembly, two: Assembly): (string | number)[] => {
    const perToken = resourcesOf(two) - resourcesOf(one);
    const rulesPerToken = rulesOf(two) - rulesOf(one);
    return [what, perToken, rulesPerToken, resourcesOf(one) - perToken, rulesOf(one) - rulesPerToken];
  };
  table('CloudFormation resources and EventBridge rules (synthesized; per stack = shared by its tokens, notification rules included)', [
    ['tokens of the stack', 'resources per token', 'rules per token', 'resources per stack', 'rules per stack'],
    row('default settings (hand-made rotation, no probes)', p1, p2),
    row('asset probes, refresh rotation, customer managed key', f1, f2),
  ]);

  // The largest stacks: computed by the budget, refused one beyond, synthesized to prove it (the full bench).
  const maxPlain = tokensThatFit({ ...appStackShapeOf(parseGuardConfig(plain(1))), tokens: shapeTokens(plain) });
  const maxFull = tokensThatFit({ ...appStackShapeOf(parseGuardConfig(full(1))), tokens: shapeTokens(full) });
  const refusal = refusedBeyond(full, maxFull);
  refusedBeyond(plain, maxPlain);
  const limitRows: (string | number)[][] = [['stack', 'largest token count', 'resources', `EventBridge rules (stacks per account within ${RULES_PER_BUS})`, 'template']];
  const runs = o.quick ? 1 : 3;
  let largestFull: Config | undefined;
  for (const [what, make, max] of [['no probes (default settings)', plain, maxPlain], ['asset probes, refresh rotation, customer managed key', full, maxFull]] as const) {
    const budget = appStackBudget({ ...appStackShapeOf(parseGuardConfig(make(1))), tokens: shapeTokens(make).slice(0, max) });
    if (o.quick) {
      limitRows.push([what, `${max} (computed)`, budget.total, `${budget.notificationRules + 2 * max} (${Math.floor(RULES_PER_BUS / (budget.notificationRules + 2 * max))})`, '-']);
      continue;
    }
    const s = [synthApp(make(max))];
    if (s[0].resources !== budget.total || s[0].resources > MAX_RESOURCES_PER_STACK - RESERVED_FOR_CDK_METADATA) {
      throw new Error(`bench: ${max} tokens synthesized ${s[0].resources} resources, the budget said ${budget.total}`);
    }
    limitRows.push([what, `${max} (synthesized)`, s[0].resources, `${s[0].rules} (${Math.floor(RULES_PER_BUS / s[0].rules)})`, `${Math.round(s[0].bytes / 1024)} KB of 1 MB`]);
    if (make === full) largestFull = make(max);
  }
  table(`Largest stack (CloudFormation allows ${MAX_RESOURCES_PER_STACK} resources, ${RESERVED_FOR_CDK_METADATA} kept for CDK's metadata; beyond it, fleet mode or another stack)`, limitRows);
  console.log(`  ${maxFull + 1} tokens are refused: ${refusal.slice(0, 160)}...`);

  // Synth time against the minimal app, each in a fresh process (bin/app.ts with cdk-nag; the Lambda code is prebuilt).
  // Round by round, so a change in the machine's load shifts every app alike.
  const apps: [string, Config][] = (o.quick ? [1] : [1, 10]).map((n) => [`${n} token${n === 1 ? '' : 's'}, default settings`, plain(n)]);
  if (largestFull) apps.push([`${maxFull} tokens, probes, rotation, customer managed key`, largestFull]);
  const times = apps.map(() => [] as number[]);
  const minimals: number[] = [];
  for (let i = 0; i < runs; i++) {
    minimals.push(synthMinimal());
    apps.forEach(([, c], j) => times[j].push(synthApp(c).ms));
  }
  const synthTimes = apps.map(([what], j) => [what, median(times[j])] as const);
  const minimal = median(minimals);
  table(`Synth time (median of ${runs}, a fresh process each: bin/app.ts with cdk-nag, against the smallest app with one prebuilt-code function)`, [
    ['app', 'ms', 'x minimal'],
    ...synthTimes.map(([what, ms]) => [what, ms.toFixed(0), (ms / minimal).toFixed(2)]),
    ['minimal app (one Function, prebuilt code)', minimal.toFixed(0), '1.00'],
  ]);
}
