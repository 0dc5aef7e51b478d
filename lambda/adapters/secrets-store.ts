// Thin adapter over Secrets Manager (SDK v3). Endpoints come from the SDK's standard configuration
// (AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL), never from a switch in this code.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

export interface SecretVersionState {
  readonly rotationEnabled: boolean;
  /** VersionIdsToStages from DescribeSecret (it lists the AWSPENDING version, unlike ListSecretVersionIds). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

export interface SecretValue {
  readonly versionId: string;
  readonly value: string | undefined;
  readonly createdDate?: Date;
  readonly stages: readonly string[];
}

export class SecretsStore {
  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {}

  async describe(secretId: string): Promise<SecretVersionState> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions: Record<string, string[]> = {};
    for (const [id, stages] of Object.entries(out.VersionIdsToStages ?? {})) versions[id] = [...stages];
    return { rotationEnabled: out.RotationEnabled === true, versions };
  }

  /**
   * A version's value, or undefined when the secret or version has no value yet (a fresh secret, or the
   * AWSPENDING placeholder Secrets Manager creates before calling createSecret).
   */
  async get(secretId: string, selector: { versionId?: string; stage?: string } = {}): Promise<SecretValue | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: selector.versionId, VersionStage: selector.stage }));
      return { versionId: out.VersionId ?? '', value: out.SecretString, createdDate: out.CreatedDate, stages: out.VersionStages ?? [] };
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  }

  /** Writes a value as version `versionId` (idempotent for the same value) under the given stages. */
  async put(secretId: string, versionId: string, value: string, stages: readonly string[], rotationToken?: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: versionId, SecretString: value, VersionStages: [...stages], RotationToken: rotationToken }),
    );
  }

  /** Moves `stage` to `toVersionId` (taking it from `fromVersionId`), or removes it when `toVersionId` is undefined. */
  async moveStage(secretId: string, stage: string, toVersionId: string | undefined, fromVersionId: string | undefined): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, MoveToVersionId: toVersionId, RemoveFromVersionId: fromVersionId }),
    );
  }
}
