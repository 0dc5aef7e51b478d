// Every configuration of the synth matrix, linted: the template checks of test/lib/template-checks.ts everywhere, and
// the real cfn-lint (Python, https://github.com/aws-cloudformation/cfn-lint) where it is installed. No npm package runs
// cfn-lint's rules (the cfn-lint project ships only for Python), and PyPI is out of reach here; the machine image
// of this project's CI has cfn-lint 1.51.0 installed, so CI (CI=true) fails when it is missing instead of skipping it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseGuardConfig } from '../../lib/config';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';
import { checkTemplate } from './template-checks';
import { SYNTH_MATRIX } from './synth-configs';

const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-lint-'));

/** Synthesizes one configuration as `cdk synth` would and returns its template file. */
function templateOf(raw: Record<string, unknown>, i: number): string {
  const outdir = path.join(OUT, String(i));
  const app = new App({ outdir, context: { '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true } });
  const config = parseGuardConfig(raw);
  const stack = new WhatsAppTokenGuardStack(app, config.stackName, { config, env: { account: '111111111111', region: 'us-east-1' } });
  return path.join(outdir, app.synth().getStackByName(stack.stackName).templateFile);
}

const templates = SYNTH_MATRIX.map(([name, raw], i) => [name, templateOf(raw, i)] as const);

describe('template checks (no Python needed)', () => {
  it.each(templates)('finds nothing in the template of %s', (_name, file) => {
    expect(checkTemplate(fs.readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('catches what it checks for: a default its pattern refuses (E2015), a rule with a non-rule function, dangling references, an oversized pattern', () => {
    // GIVEN the parameter this product used to write (its default broke its own AllowedPattern) and other mistakes
    const bad = {
      Parameters: { Guard: { Type: 'String', Default: '1234567890123456', AllowedPattern: '^(?!1234567890123456$).*$' }, Short: { Type: 'String', Default: 'ab', MinLength: 3, AllowedValues: ['abc'] } },
      Rules: { R: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::If': ['C', 'a', 'b'] }] }, AssertDescription: 'x' }, { AssertDescription: 'no assert' }] }, Empty: {} },
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic', DependsOn: 'Missing', Properties: { DisplayName: { 'Fn::Sub': '${Nowhere}-${AWS::Region}' }, KmsMasterKeyId: { 'Fn::GetAtt': ['Gone', 'Arn'] }, TopicName: { Ref: 'Absent' } } },
        Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { resources: Array.from({ length: 12 }, () => ({ Ref: 'Topic' })) } } },
      },
    };
    // WHEN
    const rules = checkTemplate(JSON.stringify(bad)).map((f) => f.rule);
    // THEN
    expect(rules.sort()).toEqual(['E1010', 'E1019', 'E1020', 'E1700', 'E1701', 'E1701', 'E2015', 'E2015', 'E2015', 'E3005', 'EventBridge'].sort());
  });
});

interface CfnLintMatch {
  readonly Level: string;
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/**
 * cfn-lint 1.51.0's bundled schema of AWS::CloudWatch::Dashboard has only DashboardBody and DashboardName; CloudFormation
 * has since added Tags (the property aws-cdk-lib 2.276's CfnDashboard renders from CloudFormation's registry schema,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-dashboard.html#cfn-cloudwatch-dashboard-tags),
 * so your `tags` on the dashboard read as E3002 there. That one finding, on that one type, is the linter's age, not ours.
 */
function staleSchema(m: CfnLintMatch): boolean {
  if (m.Rule.Id !== 'E3002' || !m.Message.includes("'Tags' was unexpected") || m.Location.Path[0] !== 'Resources') return false;
  const template = JSON.parse(fs.readFileSync(m.Filename, 'utf8')) as { Resources: Record<string, { Type: string }> };
  return template.Resources[String(m.Location.Path[1])]?.Type === 'AWS::CloudWatch::Dashboard';
}

function findCfnLint(): string | undefined {
  const r = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const cfnLint = findCfnLint();

describe('cfn-lint', () => {
  // Without cfn-lint on a developer's machine the checks above still run; in CI its absence is a failure.
  const run = cfnLint || process.env.CI ? it : it.skip;
  run(`reports no error in any template of the synth matrix (${cfnLint ?? 'cfn-lint not installed'})`, () => {
    if (!cfnLint) throw new Error('cfn-lint is not installed: install it (pip install cfn-lint, or Debian\'s cfn-lint package) so CI lints the templates.');
    // WHEN
    const r = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates.map(([, f]) => f)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // THEN exit code 2 is set by errors (4 warnings, 8 informational; https://github.com/aws-cloudformation/cfn-lint#exit-codes)
    const matches = JSON.parse(r.stdout || '[]') as CfnLintMatch[];
    const errors = matches.filter((m) => m.Level === 'Error' && !staleSchema(m)).map((m) => `${m.Rule.Id} ${templates.find(([, f]) => f === m.Filename)?.[0]}: ${m.Message}`);
    expect(errors).toEqual([]);
    if (matches.every((m) => m.Level !== 'Error')) expect(r.status === null ? -1 : r.status & 2).toBe(0);
  });
});
