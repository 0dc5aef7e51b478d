// What every command gets: clients, output streams, style, and the shared AWS steps (invoke the check,
// describe the secret, wait for a rotation).
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CheckReport } from '../../lambda/contract';
import { AWSCURRENT, AWSPENDING } from '../../lambda/core/labels';
import { versionWithLabel } from '../../lambda/core/plan-rotation';
import { Clients, Target } from './aws';
import { CliError } from './errors';
import { Style } from './render';

export interface Session {
  readonly clients: Clients;
  readonly out: (line: string) => void;
  /** Progress on a terminal only (overwritten in place). */
  readonly progress: (line: string) => void;
  readonly style: Style;
  readonly json: boolean;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** Invokes the function's on-demand check and returns its report. */
export async function invokeCheck(s: Session, target: Target, versionStage?: string): Promise<CheckReport> {
  const out = await s.clients.lambda.send(
    new InvokeCommand({ FunctionName: target.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify({ action: 'check', ...(versionStage ? { versionStage } : {}) })) }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let body: { errorType?: string; errorMessage?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: report what we know
    }
    if (/timed out/i.test(body.errorMessage ?? '')) throw new CliError(`The function ${target.functionName} timed out before it could report. Meta or Secrets Manager may be slow; see the function's log group and retry.`);
    throw new CliError(`The function ${target.functionName} failed: ${body.errorType ?? out.FunctionError}: ${(body.errorMessage ?? text).slice(0, 300)}`);
  }
  try {
    return JSON.parse(text) as CheckReport;
  } catch {
    throw new CliError(`The function ${target.functionName} answered with something that is not a report. Is --function-name the guard's function?`);
  }
}

export async function describeVersions(s: Session, secretArn: string): Promise<Record<string, string[]>> {
  const d = await s.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
  const v: Record<string, string[]> = {};
  for (const [id, stages] of Object.entries(d.VersionIdsToStages ?? {})) v[id] = [...stages];
  return v;
}

/** Refuses to start while a rotation is under way (AWSPENDING on a version that is not AWSCURRENT). */
export async function refuseIfRotating(s: Session, target: Target): Promise<Record<string, string[]>> {
  const versions = await describeVersions(s, target.tokenSecretArn);
  const pending = versionWithLabel(versions, AWSPENDING);
  if (pending && !versions[pending].includes(AWSCURRENT)) {
    throw new CliError(
      `A rotation of "${target.tokenName}" is already in progress (version ${pending} is AWSPENDING). Wait for it (npx --no-install whatsapp-token-guard status --token ${target.tokenName}); if it stays stuck for more than 15 minutes, clear it with: aws secretsmanager update-secret-version-stage --secret-id ${target.tokenSecretArn} --version-stage AWSPENDING --remove-from-version-id ${pending}`,
    );
  }
  return versions;
}

export type RotationOutcome = { readonly kind: 'promoted'; readonly versionId: string; readonly previous?: string } | { readonly kind: 'failed'; readonly versionId: string; readonly current?: string } | { readonly kind: 'timeout'; readonly versionId: string };

/** Starts RotateSecret and waits until the new version is AWSCURRENT, or the rotation gave it up. */
export async function rotateAndWait(s: Session, target: Target, timeoutMs: number): Promise<RotationOutcome> {
  let started;
  try {
    started = await s.clients.secrets.send(new RotateSecretCommand({ SecretId: target.tokenSecretArn }));
  } catch (e) {
    if ((e as Error).name === 'InvalidRequestException' && /previous rotation isn't complete/i.test((e as Error).message)) {
      throw new CliError(`A rotation of "${target.tokenName}" is already in progress; Secrets Manager will reattempt it. Run "npx --no-install whatsapp-token-guard status --token ${target.tokenName}" and retry when it has finished.`);
    }
    throw e;
  }
  const versionId = started.VersionId ?? '';
  const t0 = s.now();
  for (;;) {
    const versions = await describeVersions(s, target.tokenSecretArn);
    const stages = versions[versionId] ?? [];
    if (stages.includes(AWSCURRENT)) return { kind: 'promoted', versionId, previous: versionWithLabel(versions, 'AWSPREVIOUS') };
    // The rotation function takes AWSPENDING off a candidate it refuses.
    if (!stages.includes(AWSPENDING)) return { kind: 'failed', versionId, current: versionWithLabel(versions, AWSCURRENT) };
    const waited = s.now() - t0;
    if (waited >= timeoutMs) return { kind: 'timeout', versionId };
    s.progress(`waiting for the rotation of "${target.tokenName}" (version ${versionId.slice(0, 8)}): ${Math.round(waited / 1000)} s`);
    await s.sleep(s.pollIntervalMs);
  }
}
