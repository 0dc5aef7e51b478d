// The guard's secrets are created without a value (no GenerateSecretString, no SecretString), so the
// template never holds a token or app secret, and retained when the stack goes, because the value may
// exist nowhere else. Values arrive after deploy through `npx --no-install whatsapp-token-guard`.
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface EmptySecretProps {
  /** Name of the secret; unique in the account and region (a retained secret keeps its name after `cdk destroy`). */
  readonly secretName: string;
  /** What the secret holds and how to store it, for whoever finds it in the console. */
  readonly description: string;
  /**
   * Key that encrypts the secret.
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly encryptionKey?: kms.IKey;
}

export function emptyRetainedSecret(scope: Construct, id: string, props: EmptySecretProps): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, { ...props, removalPolicy: RemovalPolicy.RETAIN });
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  return secret;
}

/** The Meta app secret's home: empty and retained, and without automatic rotation, for the reason below. */
export function emptyAppSecret(scope: Construct, id: string, props: EmptySecretProps): secretsmanager.Secret {
  const secret = emptyRetainedSecret(scope, id, props);
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      "The Meta app secret can only be reset by a person in Meta's App Dashboard (App settings > Basic); Meta offers no API to rotate it, so a rotation function has nothing to call. " +
      'Store the new value with `whatsapp-token-guard set-app-secret` after a reset; the ChecksFailing alarm (AppTokenRejected) fires if the stored one stops working.',
  });
  return secret;
}

/**
 * The same helpers as static methods, for users of the construct in their own stack (and for every jsii
 * language, which sees classes only). A plain `new Secret()` would hold a generated value and be destroyed
 * with the stack.
 */
export class GuardSecrets {
  /** An empty, retained secret (a token's home): no value in the template, kept after `cdk destroy`. */
  public static emptyRetained(scope: Construct, id: string, props: EmptySecretProps): secretsmanager.Secret {
    return emptyRetainedSecret(scope, id, props);
  }

  /** An empty, retained secret for the Meta app secret, share it between the guards of one app. */
  public static emptyAppSecret(scope: Construct, id: string, props: EmptySecretProps): secretsmanager.Secret {
    return emptyAppSecret(scope, id, props);
  }

  private constructor() {}
}
