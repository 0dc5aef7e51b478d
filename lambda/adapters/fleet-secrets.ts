// Thin adapter: the fleet's secrets as Secrets Manager lists them (ListSecrets with a name filter, which also
// returns each secret's tags, so the planner needs no DescribeSecret per token).
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html: the `name` filter is a
// prefix match that ignores case, so the exact prefix is checked again here.
import { DescribeSecretCommand, paginateListSecrets, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface ListedSecret {
  readonly name: string;
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface DescribedSecret extends ListedSecret {
  readonly rotationEnabled: boolean;
  /** VersionIdsToStages: which version holds which staging label (what settling the held tokens starts from). */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  /** Scheduled for deletion (DeletedDate set): DescribeSecret still answers for it until the recovery window ends. */
  readonly deleted: boolean;
}

const tagMap = (tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));

export class FleetSecrets {
  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {}

  /** Every secret whose name starts with `prefix` (case-sensitive), with its tags; secrets scheduled for deletion are left out. */
  async list(prefix: string): Promise<ListedSecret[]> {
    const out: ListedSecret[] = [];
    for await (const page of paginateListSecrets({ client: this.client, pageSize: 100 }, { Filters: [{ Key: 'name', Values: [prefix] }], IncludePlannedDeletion: false })) {
      for (const s of page.SecretList ?? []) {
        if (!s.Name?.startsWith(prefix) || !s.ARN) continue;
        out.push({ name: s.Name, arn: s.ARN, tags: tagMap(s.Tags) });
      }
    }
    return out;
  }

  /** One secret's name, ARN, tags, rotation state and labels (the token's settings, and what the functions check it against). */
  async describe(secretId: string): Promise<DescribedSecret> {
    const s = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions: Record<string, string[]> = {};
    for (const [id, stages] of Object.entries(s.VersionIdsToStages ?? {})) versions[id] = [...stages];
    return { name: s.Name ?? '', arn: s.ARN ?? '', tags: tagMap(s.Tags), rotationEnabled: s.RotationEnabled === true, versions, deleted: s.DeletedDate !== undefined };
  }
}
