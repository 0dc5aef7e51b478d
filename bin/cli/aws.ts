// AWS clients for the CLI and how it finds a deployed guard wherever it was deployed (the app's stack or a
// stack of your own): by the tags every WhatsAppTokenGuard puts on its resources (lib/guard-tags.ts), then
// the function's own configuration, which names the secrets it uses. Region, profile and endpoints come
// from the SDK's usual configuration.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, ResourceTagMapping, TagFilter } from '@aws-sdk/client-resource-groups-tagging-api';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EnvVar, GUARD_LEDGER_SCOPE } from '../../lambda/contract';
import { CHECKER_COMPONENT, GuardTag } from '../../lib/guard-tags';
import { CliError } from './errors';

export interface Clients {
  readonly secrets: SecretsManagerClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  /** Reads the health ledger (status, history); never writes it. */
  readonly dynamodb: DynamoDBClient;
  readonly cloudformation: CloudFormationClient;
  /** Resource Groups Tagging API: finds guards by their tags (built from the defaults when a caller gives none). */
  readonly tagging?: ResourceGroupsTaggingAPIClient;
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
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    cloudformation: new CloudFormationClient(config),
    tagging: new ResourceGroupsTaggingAPIClient(config),
  };
}

export interface Target {
  readonly tokenName: string;
  /** Stack the guard belongs to (its `whatsapp-token-guard:stack` tag), when known. */
  readonly stackName?: string;
  readonly tokenSecretArn: string;
  readonly appSecretArn: string;
  readonly functionName: string;
  readonly rotationMode: string;
  readonly alarmNames: readonly string[];
  /** Where the token's health ledger is, when the stack has one. */
  readonly ledgerTableName?: string;
  readonly ledgerKey?: string;
  readonly unhealthyAlarmName?: string;
  /** The function's environment (ARNs, names and settings only: the guard never puts a secret there). */
  readonly environment: Readonly<Record<string, string>>;
  /** Fields every on-demand check payload carries besides `action` (a fleet's function needs `{"token": NAME}`). */
  readonly checkPayload?: Readonly<Record<string, string>>;
}

export interface TargetOptions {
  readonly stack?: string;
  readonly token?: string;
  readonly secretArn?: string;
  readonly appSecretArn?: string;
  readonly functionName?: string;
}

/** A guard found by its tags: the checker function, its stack and token name. */
interface Found {
  readonly functionArn: string;
  readonly stackName?: string;
  readonly tokenName?: string;
}

const tagsOf = (m: ResourceTagMapping): Record<string, string> => Object.fromEntries((m.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

async function getResources(clients: Clients, resourceType: string, filters: TagFilter[]): Promise<ResourceTagMapping[]> {
  const tagging = clients.tagging ?? new ResourceGroupsTaggingAPIClient({});
  const all: ResourceTagMapping[] = [];
  let token: string | undefined;
  do {
    const page = await tagging.send(new GetResourcesCommand({ ResourceTypeFilters: [resourceType], TagFilters: filters, PaginationToken: token }));
    all.push(...(page.ResourceTagMappingList ?? []));
    token = page.PaginationToken || undefined;
  } while (token);
  return all;
}

const describeFilters = (o: TargetOptions): string => [o.stack ? `stack "${o.stack}"` : '', o.token ? `token "${o.token}"` : ''].filter(Boolean).join(' and ');

/**
 * Finds the guard's checker function: the Lambda function tagged `whatsapp-token-guard:component=checker`,
 * narrowed by `whatsapp-token-guard:token` (--token) and `whatsapp-token-guard:stack` (--stack).
 */
async function findChecker(clients: Clients, o: TargetOptions): Promise<Found> {
  const filters: TagFilter[] = [{ Key: GuardTag.Component, Values: [CHECKER_COMPONENT] }];
  if (o.token) filters.push({ Key: GuardTag.Token, Values: [o.token] });
  if (o.stack) filters.push({ Key: GuardTag.Stack, Values: [o.stack] });
  const found = (await getResources(clients, 'lambda:function', filters)).map((m): Found => {
    const tags = tagsOf(m);
    return { functionArn: m.ResourceARN ?? '', stackName: tags[GuardTag.Stack], tokenName: tags[GuardTag.Token] };
  });
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    const which = describeFilters(o);
    throw new CliError(
      `No whatsapp-token-guard${which ? ` with ${which}` : ''} is deployed in this region. Check --region and --profile${which ? ', and the names' : ''}; deploy with "npx cdk deploy" first. (Guards are found by the tag ${GuardTag.Component}=${CHECKER_COMPONENT} on their function; --function-name names one directly.)`,
    );
  }
  const list = found.map((f) => `${f.stackName ?? '?'}/${f.tokenName ?? '?'}`).sort();
  throw new CliError(`Several guards match (stack/token): ${list.join(', ')}. Pick one with --token${o.stack ? '' : ' (and --stack when a token name repeats)'}.`);
}

/** Names of the guard's alarms: the CloudWatch alarms tagged with its token and stack. */
async function findAlarms(clients: Clients, tokenName: string, stackName: string | undefined): Promise<string[]> {
  const filters: TagFilter[] = [{ Key: GuardTag.Token, Values: [tokenName] }];
  if (stackName) filters.push({ Key: GuardTag.Stack, Values: [stackName] });
  const arns = (await getResources(clients, 'cloudwatch:alarm', filters)).map((m) => m.ResourceARN ?? '');
  // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
  return arns.map((arn) => arn.split(':alarm:')[1]).filter((n): n is string => Boolean(n)).sort();
}

/**
 * Resolves the token's resources. The guard is found by its tags (or named with --function-name); its
 * function's environment says which secrets and rotation mode it uses; --secret-arn/--app-secret-arn
 * override those two.
 */
export async function locate(clients: Clients, o: TargetOptions): Promise<Target> {
  const found: Found = o.functionName ? { functionArn: o.functionName, stackName: o.stack, tokenName: o.token } : await findChecker(clients, o);
  const fn = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: found.functionArn }));
  const env = fn.Environment?.Variables ?? {};
  const tokenName = env[EnvVar.TokenName];
  const tokenSecretArn = o.secretArn ?? env[EnvVar.TokenSecretArn];
  const appSecretArn = o.appSecretArn ?? env[EnvVar.AppSecretArn];
  if (!tokenName || !tokenSecretArn || !appSecretArn) {
    throw new CliError(`The function ${fn.FunctionName ?? found.functionArn} is not a whatsapp-token-guard checker (its environment has no ${EnvVar.TokenName}/${EnvVar.TokenSecretArn}/${EnvVar.AppSecretArn}). Check --function-name, or redeploy the guard.`);
  }
  if (o.token && o.token !== tokenName) throw new CliError(`The function ${fn.FunctionName} guards token "${tokenName}", not "${o.token}". Drop --token or pick the right --function-name.`);
  const alarmNames = await findAlarms(clients, tokenName, found.stackName);
  return {
    tokenName,
    stackName: found.stackName,
    tokenSecretArn,
    appSecretArn,
    functionName: fn.FunctionName ?? found.functionArn,
    rotationMode: env[EnvVar.RotationMode] ?? 'hand-made',
    alarmNames: alarmNames.filter((n) => !n.endsWith('-Unhealthy')),
    unhealthyAlarmName: alarmNames.find((n) => n.endsWith('-Unhealthy')),
    ledgerTableName: env[EnvVar.LedgerTableName],
    // The same key the function writes under (a single guard's scope unless the function says otherwise).
    ledgerKey: env[EnvVar.LedgerTableName] ? `${env[EnvVar.LedgerScope] ?? GUARD_LEDGER_SCOPE}/${tokenName}` : undefined,
    environment: env,
  };
}
