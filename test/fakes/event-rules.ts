// What EventBridge does with an event once it is on the bus, for the rules of a synthesized template:
// match each rule's event pattern, then render each target's input transformer, so a test can assert the
// exact text a topic subscriber receives. Only the parts of the pattern and JSONPath grammar the guard's
// rules use are modelled; anything else throws, so a rule that outgrows this model fails loudly instead of
// silently matching.
//   Patterns: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
//   Input transformation: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
//   and https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html
// A string template is JSON-encoded in the template (aws-cdk `RuleTargetInput.fromText`); EventBridge decodes
// it before delivery, so the subscriber receives the text itself (aws/aws-cdk pull request 38162).
import { DeliveredEvent } from './eventbridge-recorder';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface RuleTarget {
  readonly arn: unknown;
  readonly input?: string;
  readonly inputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

export interface TemplateRule {
  readonly logicalId: string;
  readonly pattern: Record<string, Json>;
  readonly targets: readonly RuleTarget[];
}

export interface Delivery {
  readonly rule: string;
  readonly target: unknown;
  readonly message: string;
}

/**
 * The rules of a template that have an event pattern (scheduled rules are left out). A pattern may name a resource of
 * the template (`{"Ref": "TokenSecret..."}`, a secret's ARN): `refs` gives the physical value CloudFormation would put
 * there (the fakes' ARNs); a Ref it does not give is an error, so no pattern is ever matched against a placeholder.
 */
export function rulesOf(resources: Record<string, { Type: string; Properties: Record<string, unknown> }>, refs: Readonly<Record<string, string>> = {}): TemplateRule[] {
  const resolve = (v: unknown): Json => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Object.keys(o).length === 1 && typeof o.Ref === 'string') {
        // A pseudo parameter (AWS::StackId) stands for itself: no event of the tests carries one.
        if (refs[o.Ref] === undefined && o.Ref.startsWith('AWS::')) return `<${o.Ref}>`;
        if (refs[o.Ref] === undefined) throw new Error(`event pattern names {"Ref": "${o.Ref}"}: give its physical value in refs`);
        return refs[o.Ref];
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return v as Json;
  };
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern)
    .map(([logicalId, r]) => ({
      logicalId,
      pattern: resolve(r.Properties.EventPattern) as Record<string, Json>,
      targets: ((r.Properties.Targets ?? []) as { Arn: unknown; Input?: string; InputTransformer?: RuleTarget['inputTransformer'] }[]).map((t) => ({ arn: t.Arn, input: t.Input, inputTransformer: t.InputTransformer })),
    }));
}

/**
 * The ARN CloudFormation would give each named secret of a template (in account 111111111111, us-east-1, with a
 * fixed random suffix), keyed by logical id: the `refs` of rulesOf for a synthesized stack.
 */
export function secretArnsOf(resources: Record<string, { Type: string; Properties: Record<string, unknown> }>, suffix = 'AbCdEf'): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret' && typeof r.Properties.Name === 'string')
      .map(([id, r]) => [id, `arn:aws:secretsmanager:us-east-1:111111111111:secret:${r.Properties.Name as string}-${suffix}`]),
  );
}

function matchValue(rule: Json, value: Json | undefined): boolean {
  if (rule === null || typeof rule !== 'object') return value !== undefined && (Array.isArray(value) ? value.some((v) => v === rule) : value === rule);
  if (Array.isArray(rule)) throw new Error('nested arrays are not a pattern');
  const ops = Object.keys(rule);
  if (ops.length !== 1) throw new Error(`pattern operator object must have one key, got ${ops.join(',')}`);
  const op = ops[0];
  const arg = rule[op];
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  switch (op) {
    case 'exists':
      return arg === (value !== undefined);
    case 'prefix':
      return typeof arg === 'string' && values.some((v) => typeof v === 'string' && v.startsWith(arg));
    case 'anything-but': {
      if (value === undefined) return false;
      const banned = Array.isArray(arg) ? arg : [arg];
      if (banned.some((b) => b !== null && typeof b === 'object')) throw new Error('anything-but with an operator is not modelled');
      return values.every((v) => !banned.includes(v));
    }
    case 'numeric': {
      if (!Array.isArray(arg)) throw new Error('numeric takes a list');
      return values.some((v) => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < arg.length; i += 2) {
          const [cmp, n] = [arg[i], arg[i + 1] as number];
          const ok = cmp === '>' ? v > n : cmp === '>=' ? v >= n : cmp === '<' ? v < n : cmp === '<=' ? v <= n : cmp === '=' ? v === n : (() => { throw new Error(`numeric ${String(cmp)}`); })();
          if (!ok) return false;
        }
        return true;
      });
    }
    default:
      throw new Error(`pattern operator "${op}" is not modelled`);
  }
}

/** Every field of the pattern must match; a field's list matches when any entry does. */
export function matches(pattern: Record<string, Json>, event: Record<string, Json> | DeliveredEvent): boolean {
  const e = event as Record<string, Json>;
  return Object.entries(pattern).every(([k, rule]) => {
    if (Array.isArray(rule)) {
      if (rule.length === 0) throw new Error(`empty list for ${k}`);
      return rule.some((r) => matchValue(r, e[k]));
    }
    if (rule !== null && typeof rule === 'object') {
      const sub = e[k];
      return sub !== null && typeof sub === 'object' && !Array.isArray(sub) && matches(rule as Record<string, Json>, sub as Record<string, Json>);
    }
    throw new Error(`pattern field ${k} must be a list or an object`);
  });
}

/** The subset of JSONPath EventBridge evaluates: `$.a.b-c[0].d`. */
export function readPath(event: unknown, path: string): Json | undefined {
  if (!path.startsWith('$')) throw new Error(`path must start with $: ${path}`);
  const parts = path.slice(1).match(/\.[A-Za-z0-9_-]+|\[\d+\]/g) ?? [];
  if (parts.join('') !== path.slice(1)) throw new Error(`path syntax not modelled: ${path}`);
  let cur: unknown = event;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = p.startsWith('[') ? (cur as unknown[])[Number(p.slice(1, -1))] : (cur as Record<string, unknown>)[p.slice(1)];
    if (cur === undefined) return undefined;
  }
  return cur as Json;
}

/** Renders a target's input for an event, as the target receives it. */
export function renderInput(target: RuleTarget, event: DeliveredEvent): string {
  if (target.input !== undefined) return decode(target.input);
  const t = target.inputTransformer;
  if (!t) return JSON.stringify(event);
  const vars = new Map<string, Json>();
  for (const [name, path] of Object.entries(t.InputPathsMap ?? {})) {
    const v = readPath(event, path);
    // EventBridge leaves such a variable out; a guard rule that names a missing field is a bug here.
    if (v === undefined) throw new Error(`input path ${path} (variable ${name}) is not in the ${event['detail-type']} event`);
    vars.set(name, v);
  }
  let out = '';
  let inString = false;
  const tpl = t.InputTemplate;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c === '\\' && inString) {
      out += c + tpl[i + 1];
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const end = tpl.indexOf('>', i);
      const name = end > 0 ? tpl.slice(i + 1, end) : '';
      if (name.startsWith('aws.events.')) throw new Error(`predefined variable <${name}> not modelled`);
      if (vars.has(name)) {
        const v = vars.get(name)!;
        // Inside a JSON string the value is inserted escaped; outside, as JSON.
        out += inString ? (typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : JSON.stringify(JSON.stringify(v)).slice(1, -1)) : JSON.stringify(v);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return decode(out);
}

function decode(input: string): string {
  const parsed = JSON.parse(input) as Json; // an invalid template is a failed delivery on AWS too
  return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
}

/** Every delivery the rules make for the events, in event order. */
export function deliver(rules: readonly TemplateRule[], events: readonly DeliveredEvent[]): Delivery[] {
  const out: Delivery[] = [];
  for (const e of events) for (const r of rules) if (matches(r.pattern, e)) for (const t of r.targets) out.push({ rule: r.logicalId, target: t.arn, message: renderInput(t, e) });
  return out;
}
