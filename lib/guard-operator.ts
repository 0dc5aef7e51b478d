// What an operator needs to run `npx --no-install whatsapp-token-guard` against one guard, as a grant
// (WhatsAppTokenGuard.grantOperate). test/lib/grant-operate.test.ts reads the command's AWS calls from bin/cli/ and
// checks this list against them, so a new call in the command without its permission here fails the tests.
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** The operator's actions, by the resource they apply to. */
export const OPERATOR_ACTIONS = {
  /**
   * Finding the guard by its tags. The Resource Groups Tagging API has no resource-level permission (Service
   * Authorization Reference, "Actions defined by AWS Resource Groups Tagging API"), so its Resource is "*".
   */
  discovery: ['tag:GetResources'],
  /**
   * `status` reads the token's alarms (its last check and rotations come from the ledger). DescribeAlarms asks for
   * composite alarms too, which AWS answers only to a permission scoped to "*" (CloudWatch API Reference, DescribeAlarms).
   */
  monitoring: ['cloudwatch:DescribeAlarms'],
  /** The checker function: its configuration names the secrets and the rotation mode; `check` invokes it. */
  checker: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'],
  /** The token secret: `set-token`, `rotate` and `status` (the command never reads a value back). */
  tokenSecret: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:RotateSecret'],
  /** The app secret: `set-app-secret` stores it and rolls a refused one back; `status` says whether it is stored. */
  appSecret: ['secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
  /** This token's items of the health ledger: `status` and `history`, and the reason of a refused rotation. */
  ledger: ['dynamodb:GetItem', 'dynamodb:Query'],
  /**
   * A customer managed key of either secret, only through Secrets Manager: writing a version needs GenerateDataKey and
   * Decrypt (Secrets Manager user guide, "Secret encryption and decryption", permissions for the KMS key).
   */
  key: ['kms:Decrypt', 'kms:GenerateDataKey'],
} as const;

export interface OperatedGuard {
  readonly tokenSecret: secretsmanager.ISecret;
  readonly appSecret: secretsmanager.ISecret;
  readonly encryptionKey?: kms.IKey;
  readonly checkerFunction: lambda.IFunction;
  readonly healthLedger: dynamodb.ITable;
  readonly ledgerKey: string;
  readonly region: string;
}

/** A secret's complete ARN, or its partial ARN with the 6-character suffix Secrets Manager appends. */
const fullArn = (secret: secretsmanager.ISecret): string => secret.secretFullArn ?? `${secret.secretArn}-??????`;

export function operatorGrants(grantee: iam.IGrantable, g: OperatedGuard): iam.Grant {
  const grant = (actions: readonly string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>): iam.Grant =>
    iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns, conditions });
  let all = grant(OPERATOR_ACTIONS.discovery, ['*'])
    .combine(grant(OPERATOR_ACTIONS.monitoring, ['*']))
    .combine(grant(OPERATOR_ACTIONS.checker, [g.checkerFunction.functionArn]))
    .combine(grant(OPERATOR_ACTIONS.tokenSecret, [fullArn(g.tokenSecret)]))
    .combine(grant(OPERATOR_ACTIONS.appSecret, [fullArn(g.appSecret)]))
    // The same scoping as the function's own role: items whose partition key is this token's, nothing else.
    .combine(grant(OPERATOR_ACTIONS.ledger, [g.healthLedger.tableArn], { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [g.ledgerKey] } }));
  const keys = new Set([g.tokenSecret.encryptionKey ?? g.encryptionKey, g.appSecret.encryptionKey].filter((k): k is kms.IKey => k !== undefined));
  for (const key of keys) all = all.combine(key.grant(new kms.ViaServicePrincipal(`secretsmanager.${g.region}.amazonaws.com`, grantee.grantPrincipal), ...OPERATOR_ACTIONS.key));
  return all;
}
