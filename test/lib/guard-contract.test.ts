// The public enums and static members (what jsii languages see) must say exactly what lambda/contract.ts says, and
// lib/ may pull in nothing of lambda/ but the import-free contract.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as contract from '../../lambda/contract';
import { FleetMetric, GuardAlarm, GuardContract, GuardEventType, GuardMetric, TokenRotationMode } from '../../lib/guard-contract';
import { alarmCatalog } from '../../lib/token-alarms';
import { WhatsAppTokenGuard } from '../../lib/whatsapp-token-guard';

const LIB = path.join(__dirname, '..', '..', 'lib');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('public enums and GuardContract', () => {
  it('name every metric of the contract, with the contract names as values', () => {
    expect(Object.values(GuardMetric).sort()).toEqual(Object.values(contract.Metric).sort());
    expect(Object.values(FleetMetric).sort()).toEqual(Object.values(contract.FleetMetric).sort());
  });

  it('name every rotation mode and every alarm the guard can create', () => {
    expect(Object.values(TokenRotationMode).sort()).toEqual([...contract.ROTATION_MODES].sort());
    const ids = alarmCatalog({ tokenName: 't', checkIntervalMinutes: 15, expiryWarningDays: 14, checkFailuresToAlarm: 3, assetProbes: true }).map((a) => a.id);
    expect(Object.values(GuardAlarm).sort()).toEqual([...ids].sort());
  });

  it('carry the contract version, namespace and dimensions as static members', () => {
    expect(GuardContract.VERSION).toBe(contract.CONTRACT_VERSION);
    expect(GuardContract.NAMESPACE).toBe(contract.NAMESPACE);
    expect(GuardContract.TOKEN_NAME_DIMENSION).toBe(contract.TOKEN_NAME_DIMENSION);
    expect(GuardContract.FLEET_DIMENSION).toBe(contract.FLEET_DIMENSION);
    expect(GuardContract.EVENT_SOURCE).toBe(contract.EVENT_SOURCE);
    expect(GuardContract.EVENT_DETAIL_VERSION).toBe(contract.EVENT_DETAIL_VERSION);
  });

  it('name every event detail type as a string for rule patterns', () => {
    const statics = Object.entries(Object.getOwnPropertyDescriptors(GuardEventType)).filter(([k, d]) => k !== 'name' && typeof d.value === 'string').map(([, d]) => d.value as string);
    expect(statics.sort()).toEqual(Object.values(contract.EventDetailType).sort());
  });
});

describe('WhatsAppTokenGuard public members', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'us-east-1' } });
  const guard = new WhatsAppTokenGuard(stack, 'G', { tokenName: 'primary', appId: '123456789012345', rotation: { mode: TokenRotationMode.REFRESH } });

  it('returns each alarm by its enum member, and none for an alarm it did not create', () => {
    for (const id of Object.values(GuardAlarm).filter((a) => a !== GuardAlarm.ASSET_UNREACHABLE)) expect(guard.alarm(id)).toBeDefined();
    expect(guard.alarm(GuardAlarm.ASSET_UNREACHABLE)).toBeUndefined();
    expect(guard.alarms).toHaveLength(Object.values(GuardAlarm).length - 1);
  });

  it('reports the rotation mode as the enum member', () => {
    expect(guard.rotationMode).toBe(TokenRotationMode.REFRESH);
  });

  it('builds contract metrics with the fixed name, namespace and dimension, and the caller\'s statistic and period', () => {
    const m = guard.metric(GuardMetric.DAYS_UNTIL_EXPIRY, { statistic: 'Average', period: Duration.hours(1), dimensionsMap: { Other: 'x' } });
    expect(m).toMatchObject({ namespace: 'WhatsAppTokenGuard', metricName: 'DaysUntilExpiry', dimensions: { TokenName: 'primary' }, statistic: 'Average', unit: cloudwatch.Unit.NONE });
    expect(m.period.toHours()).toBe(1);
    expect(guard.metricTokenValid()).toMatchObject({ metricName: 'TokenValid', statistic: 'Minimum', unit: cloudwatch.Unit.COUNT });
    expect(guard.metricCheckFailed().period.toMinutes()).toBe(15);
  });
});

describe('lib/ imports from lambda/', () => {
  it('nothing but the import-free lambda/contract.ts, so the Lambda code stays out of the jsii compilation', () => {
    const imports = tsFiles(LIB).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/from '((?:\.\.\/)+lambda\/[^']+)'/g)].map((m) => path.relative(path.join(__dirname, '..', '..'), path.resolve(path.dirname(f), m[1]))));
    expect([...new Set(imports)]).toEqual(['lambda/contract']);
    expect(fs.readFileSync(path.join(__dirname, '..', '..', 'lambda', 'contract.ts'), 'utf8')).not.toMatch(/^import /m);
  });
});
