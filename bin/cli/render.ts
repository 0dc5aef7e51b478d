// Human-readable output, in the spirit of Meta's Access Token Debugger. Colour only on a terminal.
import type { CheckReport, ReportedProblem } from '../../lambda/contract';

export interface Style {
  readonly ok: (s: string) => string;
  readonly bad: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const paint = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const COLOUR: Style = { ok: paint(32), bad: paint(31), warn: paint(33), dim: paint(2), bold: paint(1) };
export const PLAIN: Style = { ok: (s) => s, bad: (s) => s, warn: (s) => s, dim: (s) => s, bold: (s) => s };

const row = (label: string, value: string): string => `  ${label.padEnd(16)}${value}`;

export function renderProblems(problems: readonly ReportedProblem[], s: Style): string[] {
  return problems.flatMap((p) => [
    `  ${p.severity === 'critical' ? s.bad('✗') : s.warn('!')} ${s.bold(p.title)}${p.detail ? `: ${p.detail}` : ''}`,
    `      ${p.what}`,
    `      ${s.dim('Fix:')} ${p.fix}`,
  ]);
}

export function renderReport(r: CheckReport, s: Style): string {
  const verdict = r.outcome === 'healthy' ? s.ok('HEALTHY') : r.outcome === 'unhealthy' ? s.bad('UNHEALTHY') : s.warn('COULD NOT CHECK');
  const lines = [`${s.bold(`Token "${r.tokenName}"`)}: ${verdict}  ${s.dim(`(checked ${r.checkedAt}, Graph ${r.graphApiVersion})`)}`];
  const t = r.token;
  if (t) {
    const expires =
      t.expiresAt === 'never' ? 'Never' : t.expiresAt ? `${t.expiresAt} (${t.daysUntilExpiry} days left)` : 'unknown';
    lines.push(
      row('Valid', t.valid ? s.ok('True') : s.bad(`False (${t.invalidReason ?? 'no reason given'})`)),
      row('Type', t.type === 'SYSTEM_USER' ? s.ok(t.type) : s.bad(t.type ?? 'unknown')),
      row('App', `${t.appId ?? '?'}${t.application ? ` (${t.application})` : ''}`),
      row('User', t.userId ?? '?'),
      row('Issued', t.issuedAt ?? 'unknown'),
      row('Expires', t.expiresAt === 'never' ? s.ok(expires) : t.daysUntilExpiry !== undefined && t.daysUntilExpiry < 15 ? s.warn(expires) : expires),
      row('Scopes', ''),
      ...t.scopes.map((sc) => `      ${s.ok('✓')} ${sc}`),
      ...t.missingScopes.map((sc) => `      ${s.bad('✗')} ${sc} ${s.bad('(missing, required)')}`),
    );
    if (t.granularScopes.length) lines.push(row('Granular', s.dim(t.granularScopes.map((g) => `${g.scope}${g.targetIds?.length ? `→${g.targetIds.join('/')}` : ''}`).join(', ') + ' (informational)')));
  }
  const a = r.assets;
  if (a) {
    lines.push(row('Assets', ''));
    const mark = (o: string): string => (o === 'ok' ? s.ok('✓') : s.bad('✗'));
    if (a.phoneNumber) lines.push(`      ${mark(a.phoneNumber.outcome)} phone number ${a.phoneNumber.id}${a.phoneNumber.displayPhoneNumber ? ` ${a.phoneNumber.displayPhoneNumber}` : ''}${a.phoneNumber.canSendMessage ? `, can_send_message ${a.phoneNumber.canSendMessage}` : ''}${a.phoneNumber.detail ? `: ${a.phoneNumber.detail}` : ''}`);
    // Meta's health_status per entity (errors, possible_solution, additional_info), calling blocks included.
    for (const h of a.phoneNumber?.health ?? []) lines.push(`          ${s.dim(h)}`);
    if (a.wabaPhoneNumbers) lines.push(`      ${mark(a.wabaPhoneNumbers.outcome)} WABA ${a.wabaPhoneNumbers.wabaId} phone_numbers${a.wabaPhoneNumbers.detail ? `: ${a.wabaPhoneNumbers.detail}` : ''}`);
    if (a.subscribedApps) lines.push(`      ${mark(a.subscribedApps.outcome)} WABA ${a.subscribedApps.wabaId} subscribed_apps${a.subscribedApps.detail ? `: ${a.subscribedApps.detail}` : ''}`);
  }
  const u = r.graphUsage;
  if (u) {
    const text = `${u.percent}% (${u.header}${u.objectId ? ` ${u.objectId}` : ''}${u.regainAccessMinutes ? `, access back in about ${u.regainAccessMinutes} min` : ''})`;
    lines.push(row('Meta usage', u.percent >= 80 || (u.regainAccessMinutes ?? 0) > 0 ? s.warn(text) : text));
  }
  if (r.problems.length) lines.push('', s.bold('Problems'), ...renderProblems(r.problems, s));
  return lines.join('\n');
}
