// AWS clients for the CLI and how it finds the deployed guard: the stack's `Manifest` output, unless
// flags name the resources. Region, profile and endpoints come from the SDK's usual configuration.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GuardManifest } from '../../lib/whatsapp-token-guard-stack';
import { CliError } from './errors';

export interface Clients {
  readonly secrets: SecretsManagerClient;
  readonly lambda: LambdaClient;
  readonly cloudformation: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
  /** Reads the health ledger (status, history); never writes it. */
  readonly dynamodb: DynamoDBClient;
}

export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
}

export function makeClients(o: AwsOptions): Clients {
  // The function may take up to its 60 s timeout; keep the socket open a little longer than that.
  const config = { ...(o.region ? { region: o.region } : {}), ...(o.profile ? { profile: o.profile } : {}) };
  return {
    secrets: new SecretsManagerClient(config),
    lambda: new LambdaClient({ ...config, requestHandler: { requestTimeout: 75_000 } }),
    cloudformation: new CloudFormationClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

export interface Target {
  readonly tokenName: string;
  readonly tokenSecretArn: string;
  readonly appSecretArn: string;
  readonly functionName: string;
  readonly rotationMode: string;
  readonly alarmNames: readonly string[];
  /** Where the token's health ledger is, when the stack has one. */
  readonly ledgerTableName?: string;
  readonly ledgerKey?: string;
}

export interface TargetOptions {
  readonly stack: string;
  readonly token?: string;
  readonly secretArn?: string;
  readonly appSecretArn?: string;
  readonly functionName?: string;
}

/** Resolves the token's resources, from flags when all are given, else from the stack's Manifest output. */
export async function locate(clients: Clients, o: TargetOptions): Promise<Target> {
  if (o.secretArn && o.appSecretArn && o.functionName) {
    return { tokenName: o.token ?? 'primary', tokenSecretArn: o.secretArn, appSecretArn: o.appSecretArn, functionName: o.functionName, rotationMode: 'hand-made', alarmNames: [] };
  }
  const out = await clients.cloudformation.send(new DescribeStacksCommand({ StackName: o.stack }));
  const raw = out.Stacks?.[0]?.Outputs?.find((x) => x.OutputKey === 'Manifest')?.OutputValue;
  if (!raw) throw new CliError(`Stack "${o.stack}" has no Manifest output: it is not a whatsapp-token-guard stack, or an old version. Redeploy with "npx cdk deploy", or pass --secret-arn, --app-secret-arn and --function-name.`);
  let manifest: GuardManifest;
  try {
    manifest = JSON.parse(raw) as GuardManifest;
  } catch {
    throw new CliError(`Stack "${o.stack}" has an unreadable Manifest output. Redeploy with "npx cdk deploy".`);
  }
  const names = Object.keys(manifest.tokens ?? {});
  const tokenName = o.token ?? (names.length === 1 ? names[0] : undefined);
  if (!tokenName) throw new CliError(`Stack "${o.stack}" guards several tokens (${names.join(', ')}). Pick one with --token.`);
  const t = manifest.tokens[tokenName];
  if (!t) throw new CliError(`Token "${tokenName}" is unknown in stack "${o.stack}". Known tokens: ${names.join(', ') || 'none'}. Pick one with --token.`);
  return {
    tokenName,
    tokenSecretArn: o.secretArn ?? t.tokenSecretArn,
    appSecretArn: o.appSecretArn ?? manifest.appSecretArn,
    functionName: o.functionName ?? t.functionName,
    rotationMode: t.rotationMode,
    alarmNames: t.alarmNames ?? [],
    ledgerTableName: manifest.ledgerTableName,
    ledgerKey: t.ledgerKey,
  };
}
