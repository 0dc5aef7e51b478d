// Template checks that need no Python: the cfn-lint errors this product can make, each named by the cfn-lint rule it
// stands in for (https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md), plus the service quotas a
// template can break at deploy. Real cfn-lint runs as well where it is installed (test/lib/template-lint.test.ts);
// these run everywhere, so a developer without cfn-lint still sees the errors that matter here.
//   E2015 a parameter's Default satisfies its AllowedPattern / AllowedValues / MinLength / MaxLength / MinValue / MaxValue
//   E1700 / E1701 a rule has Assertions, each an Assert built from rule functions and an AssertDescription string
//   E1020 / E1010 / E3005 / E1019 every Ref, GetAtt, DependsOn and ${} in Fn::Sub names something the template has
//   quotas: 500 resources, 200 parameters, 200 outputs, 1 MB template (CloudFormation quotas page); 2048 characters per
//   EventBridge event pattern once the secret ARNs are filled in (EventBridge quotas page, "Event pattern size")

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface CfnTemplate {
  readonly Parameters?: Record<string, Record<string, Json>>;
  readonly Rules?: Record<string, Record<string, Json>>;
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, Json>; DependsOn?: string | string[] }>;
  readonly Outputs?: Record<string, Json>;
  readonly Conditions?: Record<string, Json>;
}

export interface Finding {
  readonly rule: string;
  readonly path: string;
  readonly message: string;
}

const MAX = { resources: 500, parameters: 200, outputs: 200, templateBytes: 1_048_576, eventPattern: 2048 } as const;
/** Functions CloudFormation allows in a rule's RuleCondition and Assert (template "Rules" section). */
const RULE_FUNCTIONS = new Set(['Fn::And', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn', 'Fn::Equals', 'Fn::Not', 'Fn::Or', 'Fn::RefAll', 'Fn::ValueOf', 'Fn::ValueOfAll', 'Ref']);
const PSEUDO = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);

/** E2015: the Default of each parameter against its own constraints. */
function parameterDefaults(t: CfnTemplate): Finding[] {
  const out: Finding[] = [];
  for (const [name, p] of Object.entries(t.Parameters ?? {})) {
    if (p.Default === undefined) continue;
    const path = `Parameters/${name}/Default`;
    const text = String(p.Default);
    const bad = (why: string): void => void out.push({ rule: 'E2015', path, message: `Default ${JSON.stringify(p.Default)} ${why}` });
    // CloudFormation matches AllowedPattern against the whole value.
    if (typeof p.AllowedPattern === 'string' && !new RegExp(`^(?:${p.AllowedPattern})$`).test(text)) bad(`breaks AllowedPattern ${p.AllowedPattern}`);
    if (Array.isArray(p.AllowedValues) && !p.AllowedValues.map(String).includes(text)) bad(`is not among AllowedValues ${JSON.stringify(p.AllowedValues)}`);
    if (typeof p.MinLength === 'number' && text.length < p.MinLength) bad(`is shorter than MinLength ${p.MinLength}`);
    if (typeof p.MaxLength === 'number' && text.length > p.MaxLength) bad(`is longer than MaxLength ${p.MaxLength}`);
    if (typeof p.MinValue === 'number' && Number(text) < p.MinValue) bad(`is below MinValue ${p.MinValue}`);
    if (typeof p.MaxValue === 'number' && Number(text) > p.MaxValue) bad(`is above MaxValue ${p.MaxValue}`);
  }
  return out;
}

/** E1700 / E1701: the shape of each rule, and only rule functions inside it. */
function rules(t: CfnTemplate): Finding[] {
  const out: Finding[] = [];
  const onlyRuleFunctions = (v: Json, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => onlyRuleFunctions(x, `${path}/${i}`));
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if ((k.startsWith('Fn::') || k === 'Ref') && !RULE_FUNCTIONS.has(k)) out.push({ rule: 'E1701', path: `${path}/${k}`, message: `${k} is not a rule function` });
      if (k === 'Ref' && typeof x === 'string' && !t.Parameters?.[x] && !PSEUDO.has(x)) out.push({ rule: 'E1701', path: `${path}/Ref`, message: `a rule can only Ref a parameter, not "${x}"` });
      onlyRuleFunctions(x, `${path}/${k}`);
    }
  };
  for (const [name, r] of Object.entries(t.Rules ?? {})) {
    const path = `Rules/${name}`;
    const unknown = Object.keys(r).filter((k) => k !== 'Assertions' && k !== 'RuleCondition');
    if (unknown.length) out.push({ rule: 'E1700', path, message: `unknown keys ${unknown.join(', ')}` });
    if (!Array.isArray(r.Assertions) || r.Assertions.length === 0) {
      out.push({ rule: 'E1700', path, message: 'needs a non-empty Assertions list' });
      continue;
    }
    if (r.RuleCondition !== undefined) onlyRuleFunctions(r.RuleCondition, `${path}/RuleCondition`);
    r.Assertions.forEach((a, i) => {
      const at = `${path}/Assertions/${i}`;
      if (a === null || typeof a !== 'object' || Array.isArray(a) || a.Assert === undefined) return void out.push({ rule: 'E1701', path: at, message: 'needs an Assert' });
      if (a.AssertDescription !== undefined && typeof a.AssertDescription !== 'string') out.push({ rule: 'E1701', path: `${at}/AssertDescription`, message: 'must be a string' });
      onlyRuleFunctions(a.Assert, `${at}/Assert`);
    });
  }
  return out;
}

/** E1020 / E1010 / E1019 / E3005: references to what the template has. */
function references(t: CfnTemplate): Finding[] {
  const out: Finding[] = [];
  const resources = new Set(Object.keys(t.Resources));
  const refable = (x: string): boolean => resources.has(x) || Boolean(t.Parameters?.[x]) || PSEUDO.has(x);
  const walk = (v: Json, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}/${i}`));
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string' && !refable(x)) out.push({ rule: 'E1020', path, message: `Ref to "${x}", which is not a resource, parameter or pseudo parameter` });
      if (k === 'Fn::GetAtt') {
        const target = Array.isArray(x) ? x[0] : typeof x === 'string' ? x.split('.')[0] : undefined;
        if (typeof target === 'string' && !resources.has(target)) out.push({ rule: 'E1010', path, message: `GetAtt of "${target}", which is not a resource` });
      }
      if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(x) ? [x[0], (x[1] ?? {}) as Record<string, Json>] : [x, {} as Record<string, Json>];
        for (const m of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1].split('.')[0];
          if (!(name in vars) && !refable(name)) out.push({ rule: 'E1019', path, message: `Fn::Sub names \${${m[1]}}, which the template does not have` });
        }
      }
      walk(x, `${path}/${k}`);
    }
  };
  for (const [id, r] of Object.entries(t.Resources)) {
    walk((r.Properties ?? {}) as Json, `Resources/${id}/Properties`);
    for (const d of [r.DependsOn ?? []].flat()) if (!resources.has(d)) out.push({ rule: 'E3005', path: `Resources/${id}/DependsOn`, message: `depends on "${d}", which is not a resource` });
  }
  walk((t.Outputs ?? {}) as Json, 'Outputs');
  walk((t.Rules ?? {}) as Json, 'Rules');
  return out;
}

/**
 * Each EventBridge rule's pattern as EventBridge will receive it: every `{"Ref": <secret>}` filled in with an ARN as
 * long as the secret's can be (the longest partition and region), then measured.
 */
function eventPatterns(t: CfnTemplate): Finding[] {
  const out: Finding[] = [];
  const arnOf = (id: string): string => {
    const name = t.Resources[id]?.Type === 'AWS::SecretsManager::Secret' ? String(t.Resources[id].Properties?.Name ?? 'x'.repeat(512)) : 'x'.repeat(512);
    return `arn:aws-iso-b:secretsmanager:ap-southeast-5:111111111111:secret:${name}-AbCdEf`;
  };
  const fill = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(fill);
    if (v === null || typeof v !== 'object') return v;
    if (typeof v.Ref === 'string' && Object.keys(v).length === 1) return v.Ref.startsWith('AWS::') ? `arn:aws-iso-b:cloudformation:ap-southeast-5:111111111111:stack/${'x'.repeat(128)}/00000000-0000-0000-0000-000000000000` : arnOf(v.Ref);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
  };
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::Events::Rule' || !r.Properties?.EventPattern) continue;
    const size = JSON.stringify(fill(r.Properties.EventPattern)).length;
    if (size > MAX.eventPattern) out.push({ rule: 'EventBridge', path: `Resources/${id}/Properties/EventPattern`, message: `pattern of ${size} characters once its ARNs are filled in; EventBridge allows ${MAX.eventPattern}` });
  }
  return out;
}

function quotas(t: CfnTemplate, bytes: number): Finding[] {
  const out: Finding[] = [];
  const count = (o: object | undefined): number => Object.keys(o ?? {}).length;
  if (count(t.Resources) > MAX.resources) out.push({ rule: 'quota', path: 'Resources', message: `${count(t.Resources)} resources; CloudFormation allows ${MAX.resources}` });
  if (count(t.Parameters) > MAX.parameters) out.push({ rule: 'quota', path: 'Parameters', message: `${count(t.Parameters)} parameters; CloudFormation allows ${MAX.parameters}` });
  if (count(t.Outputs) > MAX.outputs) out.push({ rule: 'quota', path: 'Outputs', message: `${count(t.Outputs)} outputs; CloudFormation allows ${MAX.outputs}` });
  if (bytes > MAX.templateBytes) out.push({ rule: 'E1002', path: '', message: `template of ${bytes} bytes; CloudFormation reads at most 1 MB from S3` });
  return out;
}

/** Every finding of the checks above for one template (its text as written to cdk.out). */
export function checkTemplate(text: string): Finding[] {
  const t = JSON.parse(text) as CfnTemplate;
  return [...parameterDefaults(t), ...rules(t), ...references(t), ...eventPatterns(t), ...quotas(t, Buffer.byteLength(text))];
}
