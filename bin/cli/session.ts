// What every command gets: clients, output streams, style, and the shared AWS steps (invoke the check,
// describe the secret, wait for a rotation).
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand, ListSecretVersionIdsCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
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
export async function invokeCheck(s: Session, target: Target, what: { versionStage?: string; versionId?: string; value?: string } = {}): Promise<CheckReport> {
  // A token value in the payload is validated before it is stored; the function never logs its event.
  const out = await s.clients.lambda.send(
    new InvokeCommand({ FunctionName: target.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify({ action: 'check', ...target.checkPayload, ...what })) }),
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

/** RotateSecret for version `versionId` (the caller picks it, so it knows which rotation is its own). */
export async function startRotation(s: Session, target: Target, versionId: string): Promise<void> {
  try {
    await s.clients.secrets.send(new RotateSecretCommand({ SecretId: target.tokenSecretArn, ClientRequestToken: versionId }));
  } catch (e) {
    if ((e as Error).name === 'InvalidRequestException' && /previous rotation isn't complete/i.test((e as Error).message)) {
      throw new CliError(`A rotation of "${target.tokenName}" is already in progress; Secrets Manager will reattempt it. Run "npx --no-install whatsapp-token-guard status --token ${target.tokenName}" and retry when it has finished.`);
    }
    throw e;
  }
}

/**
 * Waits until this rotation's version is AWSCURRENT (promoted) or has lost AWSPENDING (refused or abandoned). A
 * version DescribeSecret does not list yet is waited for (DescribeSecret is eventually consistent); one that exists
 * (ListSecretVersionIds with deprecated versions) but carries neither label has ended without promotion.
 */
export async function waitForRotation(s: Session, target: Target, versionId: string, timeoutMs: number): Promise<RotationOutcome> {
  const t0 = s.now();
  for (;;) {
    const versions = await describeVersions(s, target.tokenSecretArn);
    const stages = versions[versionId];
    if (stages?.includes(AWSCURRENT)) return { kind: 'promoted', versionId, previous: versionWithLabel(versions, 'AWSPREVIOUS') };
    if (stages && !stages.includes(AWSPENDING)) return { kind: 'failed', versionId, current: versionWithLabel(versions, AWSCURRENT) };
    if (!stages) {
      const list = await s.clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: target.tokenSecretArn, IncludeDeprecated: true }));
      const listed = list.Versions?.find((v) => v.VersionId === versionId);
      if (listed && !(listed.VersionStages ?? []).some((l) => l === AWSPENDING || l === AWSCURRENT)) return { kind: 'failed', versionId, current: versionWithLabel(versions, AWSCURRENT) };
    }
    const waited = s.now() - t0;
    if (waited >= timeoutMs) return { kind: 'timeout', versionId };
    s.progress(`waiting for the rotation of "${target.tokenName}" (version ${versionId.slice(0, 8)}): ${Math.round(waited / 1000)} s`);
    await s.sleep(s.pollIntervalMs);
  }
}

/** Starts a rotation of a fresh version and waits for it (refresh and mint `rotate`). */
export async function rotateAndWait(s: Session, target: Target, timeoutMs: number): Promise<RotationOutcome> {
  const versionId = randomUUID();
  await startRotation(s, target, versionId);
  return waitForRotation(s, target, versionId, timeoutMs);
}
