// The default app's stack: one guard per configured token, sharing what tokens of one Meta app share
// (the app secret, the alarm topic and its key, the dashboard, an optional customer managed key).
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import { GuardAppConfig } from './config';
import { emptyAppSecret } from './empty-secret';
import { HealthLedgerTable } from './private/health-ledger-table';
import { DASHBOARD_INTERVAL, WhatsAppTokenGuard } from './whatsapp-token-guard';
import { rotationModeFromWire } from './private/wire';
import { WhatsAppTokenFleet } from './whatsapp-token-fleet';

export interface WhatsAppTokenGuardStackProps extends StackProps {
  readonly config: GuardAppConfig;
}

/** Shape of the `Manifest` stack output, read by the operator CLI to find everything by token name. */
export interface GuardManifest {
  readonly appSecretArn: string;
  readonly alarmTopicArn: string;
  readonly dashboardName?: string;
  readonly tokens: Record<string, { tokenSecretArn: string; functionName: string; rotationMode: string; alarmNames: string[]; ledgerKey: string }>;
  /** The health ledger table `token-guard status` and `history` read. */
  readonly ledgerTableName: string;
  /** Fleet mode: what `whatsapp-token-guard fleet ...` needs (names and ARNs only). */
  readonly fleet?: FleetManifest;
}

export interface FleetManifest {
  readonly name: string;
  /** `<stack>/<fleet>`: the value of the `token-guard:fleet` tag on every guarded token secret, and the ledger scope. */
  readonly fleetId: string;
  readonly secretNamePrefix: string;
  readonly routerFunctionName: string;
  readonly rotationFunctionArn: string;
  readonly ledgerTableName: string;
  readonly appId: string;
  readonly appSecretArn: string;
  readonly graphApiVersion: string;
  readonly graphApiBaseUrl?: string;
  readonly requiredScopes: readonly string[];
  readonly expiryWarningDays: number;
  readonly kmsKeyArn?: string;
  readonly deadLetterQueueUrl: string;
}

export const MANIFEST_OUTPUT = 'Manifest';

export class WhatsAppTokenGuardStack extends Stack {
  readonly guards: WhatsAppTokenGuard[];
  readonly fleet?: WhatsAppTokenFleet;

  constructor(scope: Construct, id: string, props: WhatsAppTokenGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Fleets kept on their legacy names live under whatsapp-token-guard/fleet/<fleet>/: a stack named "fleet" would put
    // its guards' secrets (whatsapp-token-guard/<stack>/<token>/token) inside them.
    if (this.stackName.toLowerCase() === 'fleet') {
      throw new Error(`Stack name "${this.stackName}" is reserved: the secrets of its guards (whatsapp-token-guard/${this.stackName}/<token>/token) would fall inside the namespace of fleets that keep their legacy names (whatsapp-token-guard/fleet/<fleet>/<token>). Set "tokenGuard.stackName" in cdk.json to another name, such as "WhatsAppTokenGuard".`);
    }
    // Your tags (cost allocation, ownership) on every resource; the guard adds its own per token.
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);

    // A reattached key (secretsKeyArn) is the retained key of a destroyed stack: its secrets need it.
    const key: kms.IKey | undefined = config.secretsKeyArn
      ? kms.Key.fromKeyArn(this, 'SecretsKey', config.secretsKeyArn)
      : config.customerManagedKey
        ? new kms.Key(this, 'SecretsKey', { description: 'Encrypts the WhatsApp token and app secrets', enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN })
        : undefined;

    const appSecret = config.appSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AppSecret', config.appSecretArn)
      : emptyAppSecret(this, 'AppSecret', {
          secretName: `whatsapp-token-guard/${this.stackName}/meta-app-secret`,
          description: `Meta app secret of app ${config.appId}: {"appSecret":"..."}. Store it with \`npx --no-install whatsapp-token-guard set-app-secret\`.`,
          encryptionKey: key,
        });

    const topic: sns.ITopic = config.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : new AlarmTopic(this, 'AlarmTopic', { email: config.alarmEmail }).topic;
    // One ledger for the stack's tokens; each function may touch only its own token's items.
    const ledger = new HealthLedgerTable(this, 'HealthLedger').table;
    const dashboard = config.dashboard ? new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: this.stackName, defaultInterval: DASHBOARD_INTERVAL }) : undefined;

    this.guards = config.tokens.map(
      (t) =>
        new WhatsAppTokenGuard(this, `Guard-${t.name}`, {
          tokenName: t.name,
          tokenSecret: t.tokenSecretArn ? secretsmanager.Secret.fromSecretCompleteArn(this, `TokenSecret-${t.name}`, t.tokenSecretArn) : undefined,
          appId: config.appId,
          appSecret,
          wabaId: t.wabaId,
          phoneNumberId: t.phoneNumberId,
          requiredScopes: [...t.requiredScopes],
          checkInterval: Duration.minutes(t.checkIntervalMinutes),
          expiryWarningDays: t.expiryWarningDays,
          checkFailuresToAlarm: t.checkFailuresToAlarm,
          graphApiVersion: config.graphApiVersion,
          graphApiBaseUrl: config.graphApiBaseUrl,
          encryptionKey: key,
          alarmTopic: topic,
          dashboard,
          dashboardEnabled: config.dashboard,
          healthLedger: ledger,
          notificationFormat: config.notificationFormat,
          rotation: {
            mode: rotationModeFromWire(t.rotation.mode),
            schedule: t.rotation.scheduleDays ? Duration.days(t.rotation.scheduleDays) : undefined,
            systemUserId: t.rotation.systemUserId,
            sixtyDayTokens: t.rotation.sixtyDayTokens,
            revokePreviousAfter: t.rotation.revokePreviousAfterHours ? Duration.hours(t.rotation.revokePreviousAfterHours) : undefined,
          },
        }),
    );

    const f = config.tokenFleet;
    this.fleet = f
      ? new WhatsAppTokenFleet(this, 'Fleet', {
          fleetName: f.name,
          legacySecretNames: f.legacySecretNames,
          revokePreviousAfter: f.revokePreviousAfterHours ? Duration.hours(f.revokePreviousAfterHours) : undefined,
          appId: config.appId,
          appSecret,
          sweepInterval: Duration.minutes(f.sweepIntervalMinutes),
          workerConcurrency: f.workerConcurrency,
          maxReceiveCount: f.maxReceiveCount,
          requiredScopes: [...f.requiredScopes],
          expiryWarningDays: f.expiryWarningDays,
          graphApiVersion: config.graphApiVersion,
          graphApiBaseUrl: config.graphApiBaseUrl,
          encryptionKey: key,
          alarmTopic: topic,
          healthLedger: ledger,
          dashboardEnabled: config.dashboard,
        })
      : undefined;

    const manifest: GuardManifest = {
      appSecretArn: appSecret.secretArn,
      alarmTopicArn: topic.topicArn,
      dashboardName: dashboard?.dashboardName,
      ledgerTableName: ledger.tableName,
      ...(f && this.fleet
        ? {
            fleet: {
              name: f.name,
              fleetId: this.fleet.fleetId,
              secretNamePrefix: this.fleet.secretNamePrefix,
              routerFunctionName: this.fleet.rotationFunction.functionName,
              rotationFunctionArn: this.fleet.rotationFunction.functionArn,
              ledgerTableName: ledger.tableName,
              appId: config.appId,
              appSecretArn: appSecret.secretArn,
              graphApiVersion: config.graphApiVersion,
              ...(config.graphApiBaseUrl ? { graphApiBaseUrl: config.graphApiBaseUrl } : {}),
              requiredScopes: [...f.requiredScopes],
              expiryWarningDays: f.expiryWarningDays,
              ...(key ? { kmsKeyArn: key.keyArn } : {}),
              deadLetterQueueUrl: this.fleet.deadLetterQueue.queueUrl,
            },
          }
        : {}),
      tokens: Object.fromEntries(
        this.guards.map((g) => [
          g.tokenName,
          {
            tokenSecretArn: g.tokenSecret.secretArn,
            functionName: g.checkerFunction.functionName,
            rotationMode: g.rotationMode,
            alarmNames: Object.values(g.alarms).map((a) => a.alarmName),
            ledgerKey: g.ledgerKey,
          },
        ]),
      ),
    };
    new CfnOutput(this, MANIFEST_OUTPUT, { description: 'whatsapp-token-guard: where everything is, for `npx --no-install whatsapp-token-guard` (ARNs and names only)', value: this.toJsonString(manifest) });
    new CfnOutput(this, 'AppSecretArn', { description: 'Store the Meta app secret here: npx --no-install whatsapp-token-guard set-app-secret', value: appSecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm notifications', value: topic.topicArn });
  }
}
