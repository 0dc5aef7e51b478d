// Synthesizes an app into a cloud assembly and finds, for each function, the bundle exactly as
// `cdk deploy` would upload it: template Code.S3Key -> asset manifest -> asset directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseGuardConfig } from '../../lib/config';
import { WhatsAppTokenGuardStack } from '../../lib/whatsapp-token-guard-stack';

export type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

export interface FunctionArtifact {
  readonly logicalId: string;
  /** Absolute path of the directory zipped for upload. */
  readonly codeDir: string;
  readonly handler: string;
  /** Absolute path of the file the handler string names (`router.handler` -> `<codeDir>/router.js`). */
  readonly bundleFile: string;
  readonly timeoutS: number;
  readonly memoryMb: number;
  /** Environment.Variables as written in the template (values may be Refs). */
  readonly environment: Record<string, unknown>;
}

export interface Assembly {
  readonly outdir: string;
  readonly template: { Resources: Resources };
  readonly functions: FunctionArtifact[];
}

export function synthesize(rawConfig: unknown, context: Record<string, unknown> = {}): Assembly {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-guard-cdk-out-'));
  const app = new App({ outdir, context: { '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true, ...context } });
  const stack = new WhatsAppTokenGuardStack(app, 'TokenGuardE2E', { config: parseGuardConfig(rawConfig), env: { account: '111111111111', region: 'us-east-1' } });
  const cloud = app.synth();
  return readAssembly(outdir, cloud.getStackByName(stack.stackName).templateFile);
}

/** Reads a cloud assembly directory the way the deploy tooling does. */
export function readAssembly(outdir: string, templateFile: string): Assembly {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, templateFile), 'utf8'));
  const assetsFile = fs.readdirSync(outdir).find((f) => f.endsWith('.assets.json'));
  if (!assetsFile) throw new Error(`no asset manifest in ${outdir}`);
  const assets = JSON.parse(fs.readFileSync(path.join(outdir, assetsFile), 'utf8')) as { files: Record<string, { source: { path: string; packaging: string }; destinations: Record<string, { objectKey: string }> }> };
  const byObjectKey = new Map<string, string>();
  for (const file of Object.values(assets.files)) for (const d of Object.values(file.destinations)) byObjectKey.set(d.objectKey, path.join(outdir, file.source.path));
  const functions: FunctionArtifact[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources as Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const code = r.Properties.Code as { S3Key: string };
    const codeDir = byObjectKey.get(code.S3Key);
    if (!codeDir) throw new Error(`function ${logicalId}: S3Key ${code.S3Key} is not in the asset manifest`);
    functions.push({
      logicalId,
      codeDir,
      handler: r.Properties.Handler as string,
      bundleFile: path.join(codeDir, `${(r.Properties.Handler as string).replace(/\.[^.]+$/, '')}.js`),
      timeoutS: r.Properties.Timeout as number,
      memoryMb: r.Properties.MemorySize as number,
      environment: ((r.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>,
    });
  }
  return { outdir, template, functions };
}

/** The scheduled check interval, read from the rule's cron/rate expression in the template. */
export function checkIntervalMinutes(resources: Resources, functionLogicalId: string): number {
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Events::Rule' || typeof r.Properties.ScheduleExpression !== 'string') continue;
    const targets = JSON.stringify(r.Properties.Targets);
    if (!targets.includes(functionLogicalId)) continue;
    const expr = r.Properties.ScheduleExpression;
    const cron = /^cron\((\S+) /.exec(expr)?.[1];
    if (cron) return cron === '0' ? 60 : Number(cron.split('/')[1]);
    const rate = /^rate\((\d+) minutes?\)$/.exec(expr);
    if (rate) return Number(rate[1]);
    throw new Error(`schedule ${expr} is not modelled`);
  }
  throw new Error(`no schedule targets ${functionLogicalId}`);
}
