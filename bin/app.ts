#!/usr/bin/env node
// CDK app: cdk.json context "tokenGuard" -> validated config -> the stack. Synthesizes offline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_SOURCE, CONTEXT_KEY, ConfigError, parseGuardContext } from '../lib/config';
import { WhatsAppTokenGuardStack } from '../lib/whatsapp-token-guard-stack';

/** cdk.json, unless the object came from elsewhere (cdk.context.json, ~/.cdk.json); a -c value is a string. */
function contextSource(): string {
  try {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'cdk.json'), 'utf8'));
    return cdkJson.context?.[CONTEXT_KEY] !== undefined ? CONFIG_SOURCE.cdkJson : CONFIG_SOURCE.otherContext;
  } catch {
    return CONFIG_SOURCE.otherContext;
  }
}

const app = new App();
let config;
try {
  // The whole context: `-c tokenGuard.appId=...` on top of cdk.json's object, and near-miss keys refused.
  config = parseGuardContext(app.node.getAllContext(), contextSource());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
new WhatsAppTokenGuardStack(app, config.stackName, {
  config,
  description: 'whatsapp-token-guard: WhatsApp Cloud API token in Secrets Manager, checked against Meta, with alarms',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// Every synth is checked against cdk-nag's AwsSolutions pack; a finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
