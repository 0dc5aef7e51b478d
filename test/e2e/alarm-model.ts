// A model of CloudWatch alarm evaluation, fed with the alarms exactly as the synthesized template defines
// them and with datapoints parsed from the function's EMF output. Matching is strict, as in CloudWatch:
// namespace, metric name, the exact dimension set and (where the alarm names one) the unit.
// Model: UTC-aligned periods; an alarm is evaluated once a minute over its last N complete periods;
// M-of-N with the alarm's missing-data treatment; a composite alarm follows its rule.

export interface Datapoint {
  readonly time: number; // epoch ms
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit?: string;
  readonly value: number;
}

export interface AlarmDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit?: string;
  readonly statistic: string;
  readonly periodS: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: string;
}

export interface CompositeDefinition {
  readonly logicalId: string;
  readonly name: string;
  /** Rule with child alarms referred to by logical id. */
  readonly rule: string;
}

export type State = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

type Cfn = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Resolves a template string value that CDK may have written as Fn::Join of literals and Refs/GetAtts. */
function flatten(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    if (Array.isArray(o['Fn::GetAtt'])) return `@${(o['Fn::GetAtt'] as string[])[0]}`;
    if (typeof o.Ref === 'string') return o.Ref === 'AWS::StackName' ? 'STACK' : `@${o.Ref}`;
  }
  return JSON.stringify(v);
}

export function readAlarms(resources: Cfn): { alarms: AlarmDefinition[]; composites: CompositeDefinition[] } {
  const alarms: AlarmDefinition[] = [];
  const composites: CompositeDefinition[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    const p = r.Properties;
    if (r.Type === 'AWS::CloudWatch::Alarm') {
      if (p.Metrics) throw new Error(`alarm ${logicalId} uses metric math, which this model does not evaluate`);
      alarms.push({
        logicalId,
        name: flatten(p.AlarmName ?? logicalId),
        namespace: p.Namespace as string,
        metricName: p.MetricName as string,
        dimensions: Object.fromEntries(((p.Dimensions as { Name: string; Value: unknown }[]) ?? []).map((d) => [d.Name, flatten(d.Value)])),
        unit: p.Unit as string | undefined,
        statistic: p.Statistic as string,
        periodS: p.Period as number,
        threshold: p.Threshold as number,
        comparison: p.ComparisonOperator as string,
        evaluationPeriods: p.EvaluationPeriods as number,
        datapointsToAlarm: (p.DatapointsToAlarm as number | undefined) ?? (p.EvaluationPeriods as number),
        treatMissingData: (p.TreatMissingData as string | undefined) ?? 'missing',
      });
    } else if (r.Type === 'AWS::CloudWatch::CompositeAlarm') {
      composites.push({ logicalId, name: flatten(p.AlarmName ?? logicalId), rule: flatten(p.AlarmRule) });
    }
  }
  return { alarms, composites };
}

/** EMF lines -> datapoints, stamped with the simulated time of the invocation that printed them. */
export function datapointsFromEmf(lines: readonly Record<string, unknown>[], time: number): Datapoint[] {
  const out: Datapoint[] = [];
  for (const blob of lines) {
    const aws = blob._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
    for (const directive of aws.CloudWatchMetrics) {
      for (const dimSet of directive.Dimensions) {
        const dimensions = Object.fromEntries(dimSet.map((d) => [d, String(blob[d])]));
        for (const m of directive.Metrics) {
          const v = blob[m.Name];
          for (const value of Array.isArray(v) ? v : [v]) {
            if (typeof value === 'number') out.push({ time, namespace: directive.Namespace, metricName: m.Name, dimensions, unit: m.Unit ?? 'None', value });
          }
        }
      }
    }
  }
  return out;
}

const sameDims = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export function matches(alarm: AlarmDefinition, d: Datapoint): boolean {
  return d.namespace === alarm.namespace && d.metricName === alarm.metricName && sameDims(alarm.dimensions, d.dimensions) && (alarm.unit === undefined || alarm.unit === d.unit);
}

function aggregate(statistic: string, values: number[]): number {
  switch (statistic) {
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      throw new Error(`statistic ${statistic} is not modelled`);
  }
}

function breaches(comparison: string, value: number, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      throw new Error(`comparison ${comparison} is not modelled`);
  }
}

export function evaluateAlarm(alarm: AlarmDefinition, points: readonly Datapoint[], at: number, previous: State): State {
  const periodMs = alarm.periodS * 1000;
  const lastEnd = Math.floor(at / periodMs) * periodMs; // only complete periods
  let breaching = 0;
  let present = 0;
  for (let i = 0; i < alarm.evaluationPeriods; i++) {
    const end = lastEnd - i * periodMs;
    const values = points.filter((d) => d.time >= end - periodMs && d.time < end && matches(alarm, d)).map((d) => d.value);
    if (values.length === 0) {
      if (alarm.treatMissingData === 'breaching') breaching++;
      continue;
    }
    present++;
    if (breaches(alarm.comparison, aggregate(alarm.statistic, values), alarm.threshold)) breaching++;
  }
  if (present === 0) {
    if (alarm.treatMissingData === 'breaching') return 'ALARM';
    if (alarm.treatMissingData === 'notBreaching') return 'OK';
    if (alarm.treatMissingData === 'ignore') return previous;
    return 'INSUFFICIENT_DATA';
  }
  return breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
}

/** Evaluates a composite rule: ALARM/OK/INSUFFICIENT_DATA("@LogicalId"), AND, OR, NOT, parentheses, TRUE/FALSE. */
export function evaluateRule(rule: string, states: Readonly<Record<string, State>>): boolean {
  const tokens = rule.match(/\(|\)|AND|OR|NOT|TRUE|FALSE|(?:ALARM|OK|INSUFFICIENT_DATA)\("[^"]*"\)/g) ?? [];
  let i = 0;
  const primary = (): boolean => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    if (t === 'NOT') return !primary();
    if (t === 'TRUE') return true;
    if (t === 'FALSE') return false;
    const m = /^(ALARM|OK|INSUFFICIENT_DATA)\("(?:arn:[^"]*:alarm:)?@?([^"]+)"\)$/.exec(t ?? '');
    if (!m) throw new Error(`cannot read composite rule near ${t}`);
    const state = states[m[2]];
    if (state === undefined) throw new Error(`composite rule names unknown alarm ${m[2]}`);
    return state === m[1];
  };
  const and = (): boolean => {
    let v = primary();
    while (tokens[i] === 'AND') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  return or();
}

export interface Timeline {
  /** Alarm name -> first time (epoch ms) it entered ALARM, if it did. */
  readonly firstAlarm: Record<string, number>;
  readonly finalStates: Record<string, State>;
}

/** Steps a minute at a time from `from` to `to`, evaluating every alarm and composite. */
export function simulate(def: { alarms: AlarmDefinition[]; composites: CompositeDefinition[] }, points: readonly Datapoint[], from: number, to: number): Timeline {
  const states: Record<string, State> = {};
  const firstAlarm: Record<string, number> = {};
  for (const a of def.alarms) states[a.logicalId] = 'INSUFFICIENT_DATA';
  for (let t = from; t <= to; t += 60_000) {
    for (const a of def.alarms) {
      states[a.logicalId] = evaluateAlarm(a, points, t, states[a.logicalId]);
      if (states[a.logicalId] === 'ALARM' && firstAlarm[a.name] === undefined) firstAlarm[a.name] = t;
    }
    for (const c of def.composites) {
      const s: State = evaluateRule(c.rule, states) ? 'ALARM' : 'OK';
      states[c.logicalId] = s;
      if (s === 'ALARM' && firstAlarm[c.name] === undefined) firstAlarm[c.name] = t;
    }
  }
  const finalStates: Record<string, State> = {};
  for (const a of def.alarms) finalStates[a.name] = states[a.logicalId];
  for (const c of def.composites) finalStates[c.name] = states[c.logicalId];
  return { firstAlarm, finalStates };
}
