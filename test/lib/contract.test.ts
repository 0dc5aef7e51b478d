// The metric contract is written in three places that must agree: lambda/contract.ts (the source), the
// alarms the construct builds from it, and the pages users read (the README's alarm runbooks, docs/metrics.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_ID_DIMENSION, AppMetric, Metric, METRIC_UNIT } from '../../lambda/contract';
import { alarmCatalog, alarmDescription } from '../../lib/token-alarms';

const README = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const METRICS_PAGE = fs.readFileSync(path.join(__dirname, '../../docs/metrics.md'), 'utf8');
const catalog = alarmCatalog({ tokenName: 't', checkIntervalMinutes: 15, expiryWarningDays: 14, checkFailuresToAlarm: 3, assetProbes: true });

describe('public contract', () => {
  it.each(Object.values(Metric))('documents metric %s in docs/metrics.md with its unit', (name) => {
    expect(METRICS_PAGE).toMatch(new RegExp(`\\| \`${name}\` \\| ${METRIC_UNIT[name]} \\| TokenName \\|`));
  });

  it.each(Object.values(AppMetric))('documents the app-level metric %s in docs/metrics.md with its unit and its AppId dimension', (name) => {
    expect(METRICS_PAGE).toMatch(new RegExp(`\\| \`${name}\` \\| Percent \\| ${APP_ID_DIMENSION} \\|`));
  });

  it.each(['GraphRateLimited', 'GraphUsageHigh', 'TokenRefusedByProbe', 'GraphConfig', 'AppTokenRejected'] as const)('names the ChecksFailing cause %s in the README runbook and the alarm description', (id) => {
    const row = README.split('\n').find((l) => l.startsWith('| `ChecksFailing`'))!;
    expect(row).toContain(`\`${id}\``);
    expect(catalog.find((a) => a.id === 'ChecksFailing')!.problems).toContain(id);
  });

  it.each(catalog.map((a) => a.id))('documents alarm %s with a runbook in the README', (id) => {
    expect(README).toMatch(new RegExp(`\\| \`${id}\` \\| [^|]+\\| [^|]{20,}\\|`));
  });

  it('alarms on every health metric the function publishes', () => {
    const watched = new Set(catalog.map((a) => a.metric));
    for (const m of Object.values(Metric).filter((x) => x !== Metric.RotationSucceeded)) expect(watched).toContain(m);
  });

  it.each(catalog)('describes alarm $id with what happened and what to do, within 1024 characters', (spec) => {
    const text = alarmDescription(spec, 'a-token-name-of-sixty-four-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxx');
    expect(text.length).toBeLessThanOrEqual(1024);
    expect(text).not.toMatch(/\.\.\.$/); // never cut short
    expect(text).toContain(spec.summary);
    expect(text).toMatch(/What to do: \S/);
  });
});
