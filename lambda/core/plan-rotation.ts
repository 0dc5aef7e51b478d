// Pure rotation decisions, following the AWS rotation template: the shared guards first, then what a
// step still has to do given the secret's versions. Every answer is safe to compute again on a retry.
import { AWSCURRENT, AWSPENDING } from './labels';

export type Versions = Readonly<Record<string, readonly string[]>>;

export type StepGuard =
  | { readonly kind: 'proceed' }
  /** The version is already AWSCURRENT: a late or repeated step, nothing to do. */
  | { readonly kind: 'already-current' }
  | { readonly kind: 'refuse'; readonly message: string };

export function guardRotationStep(rotationEnabled: boolean, versions: Versions, versionId: string): StepGuard {
  if (!rotationEnabled) return { kind: 'refuse', message: 'The secret is not enabled for rotation. Redeploy the stack, which configures the rotation function.' };
  const stages = versions[versionId];
  if (!stages) return { kind: 'refuse', message: `Version ${versionId} has no stage for rotation of the secret.` };
  if (stages.includes(AWSCURRENT)) return { kind: 'already-current' };
  if (!stages.includes(AWSPENDING)) return { kind: 'refuse', message: `Version ${versionId} is not set as AWSPENDING for rotation of the secret.` };
  return { kind: 'proceed' };
}

/** The version carrying `label`, if any (a label sits on one version at a time). */
export function versionWithLabel(versions: Versions, label: string): string | undefined {
  return Object.entries(versions).find(([, stages]) => stages.includes(label))?.[0];
}

/** finishSecret: move AWSCURRENT to the pending version, taking it from the current one (AWSPREVIOUS follows). */
export function planFinish(versions: Versions, versionId: string): { readonly kind: 'done' } | { readonly kind: 'promote'; readonly from: string | undefined } {
  const current = versionWithLabel(versions, AWSCURRENT);
  return current === versionId ? { kind: 'done' } : { kind: 'promote', from: current };
}

/** Whether a token that never expires may be refreshed: no, the exchange would turn it into a 60-day token. */
export function refreshAllowed(expiresAt: string | undefined): { readonly ok: true } | { readonly ok: false; readonly message: string } {
  if (expiresAt === 'never') {
    return {
      ok: false,
      message:
        'Refusing to refresh a token that never expires: fb_exchange_token would turn it into a 60-day token. Keep it (switch the token to rotation mode "hand-made"), or hand in a 60-day token first.',
    };
  }
  return { ok: true };
}

/**
 * When the previous token may be revoked (refresh mode's grace period): only after it has been
 * replaced for `graceHours`, so consumers that cache the token have moved on.
 */
export function revokeDue(promotedAt: Date | undefined, graceHours: number | undefined, now: Date): boolean {
  if (graceHours === undefined || promotedAt === undefined) return false;
  return now.getTime() - promotedAt.getTime() >= graceHours * 3_600_000;
}
