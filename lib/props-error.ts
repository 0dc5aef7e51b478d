// Prop checks shared by WhatsAppTokenGuard and WhatsAppTokenFleet: the same rules as cdk.json (lib/config.ts), so a
// construct user gets the refusal an app user gets, at synth, naming the construct path, the prop and the fix.
//
// The error class: aws-cdk-lib's ValidationError is internal to aws-cdk-lib, and jsii cannot carry a class that
// extends Error (JSII3001/JSII3004), so the package does what aws-cdk-lib does (`Errors.isValidationError`): the
// jsii API has `GuardErrors.isPropsError(x)`, and JavaScript and TypeScript users also get the class itself from
// the `whatsapp-token-guard/errors` entry point (package.json `exports`), for `instanceof` and its fields.
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EMAIL, GRAPH_API_VERSION, HTTPS_URL, NUMERIC_ID, SCOPE } from './config';

/**
 * Thrown at synth for a prop of `WhatsAppTokenGuard` or `WhatsAppTokenFleet` that cannot work. The message names
 * the construct's path, the prop and the fix; the same three are fields, for tools that catch it.
 */
export class GuardPropsError extends Error {
  /** Path of the refusing construct in the construct tree, such as `Messaging/WhatsAppToken`. */
  public readonly constructPath: string;
  /** The prop, dotted for a nested one, such as `rotation.mode`. */
  public readonly prop: string;
  /** What to change. */
  public readonly fix: string;

  constructor(constructPath: string, constructName: string, prop: string, problem: string, fix: string) {
    super(`${constructPath}: ${constructName} prop "${prop}" ${problem}. ${fix}`);
    this.name = 'GuardPropsError';
    this.constructPath = constructPath;
    this.prop = prop;
    this.fix = fix;
    // Keeps `instanceof GuardPropsError` true when compiled to ES5-style classes.
    Object.setPrototypeOf(this, GuardPropsError.prototype);
  }
}

/** Tells the package's errors apart in any language, like aws-cdk-lib's `Errors`. */
export class GuardErrors {
  /** True for the error a `WhatsAppTokenGuard` or `WhatsAppTokenFleet` throws at synth for a prop that cannot work. */
  public static isPropsError(x: any): boolean {
    return x instanceof GuardPropsError || (typeof x === 'object' && x !== null && (x as { name?: unknown }).name === 'GuardPropsError');
  }

  private constructor() {}
}

const shown = (v: unknown): string => (typeof v === 'string' ? `"${v.slice(0, 60)}"` : (JSON.stringify(v)?.slice(0, 60) ?? String(v)));
const known = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);

/** The checks of one construct's props, each throwing GuardPropsError with that construct's path. */
export class PropChecks {
  constructor(
    private readonly scope: IConstruct,
    private readonly constructName: string,
  ) {}

  fail(prop: string, problem: string, fix: string): never {
    throw new GuardPropsError(this.scope.node.path, this.constructName, prop, problem, fix);
  }

  /** A Meta object id (app, WABA, phone number, system user), trimmed of copy-paste whitespace like cdk.json's. */
  metaId(prop: string, value: string | undefined, what: string): string | undefined {
    if (!known(value)) return value;
    const t = value.trim();
    if (!NUMERIC_ID.test(t)) this.fail(prop, `must be ${what}, got ${shown(value)}`, 'Copy the numeric id from Meta (App Dashboard, WhatsApp Manager or Business Settings); a phone number or a name is not an id.');
    return t;
  }

  email(prop: string, value: string | undefined): void {
    if (known(value) && !EMAIL.test(value.trim())) this.fail(prop, `must be an email address, got ${shown(value)}`, 'Set it to an address such as "oncall@example.com", or leave it out.');
  }

  scopes(prop: string, value: string[] | undefined): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Array.isArray(value) || value.length === 0 || value.some((s) => typeof s !== 'string' || (!Token.isUnresolved(s) && !SCOPE.test(s)))) {
      this.fail(prop, `must be a non-empty list of permission names, got ${shown(value)}`, 'Use Meta permission names such as ["whatsapp_business_messaging", "whatsapp_business_management"].');
    }
  }

  graphApiVersion(prop: string, value: string | undefined): void {
    if (known(value) && !GRAPH_API_VERSION.test(value)) this.fail(prop, `must be a pinned Graph API version such as "v25.0", got ${shown(value)}`, 'Leave it out for the tested version.');
  }

  graphApiBaseUrl(prop: string, value: string | undefined): void {
    if (known(value) && !HTTPS_URL.test(value)) this.fail(prop, `must be an https URL, got ${shown(value)}`, 'Leave it out for https://graph.facebook.com.');
  }

  /** A member of a jsii enum: JavaScript and Python callers can pass anything, and a typo must not fall back to a default. */
  member<T extends string>(prop: string, value: T | undefined, members: Record<string, T>, enumName: string): void {
    if (value === undefined) return;
    const values = Object.values(members);
    if (!values.includes(value)) {
      this.fail(prop, `must be one of ${Object.keys(members).map((k) => `${enumName}.${k}`).join(', ')}, got ${shown(value)}`, `Pass a member of ${enumName}.`);
    }
  }

  /** Refuses two props of which one would silently be ignored. */
  notBoth(prop: string, value: unknown, other: string, otherValue: unknown, fix: string): void {
    if (value !== undefined && otherValue !== undefined && otherValue !== false) this.fail(prop, `cannot be combined with ${other}`, fix);
  }
}

/**
 * Names a construct claims once per stack (a guard's token name, a fleet's name): the secret names, the ledger key and
 * the alarm names are built from them, so a second one gives CloudFormation duplicate names and a failed deploy.
 */
const CLAIMED = new WeakMap<IConstruct, Map<string, string>>();

/** Records `name` for `scope` in `stack`; returns the path of the construct that claimed it first, if another did. */
export function claimName(stack: IConstruct, kind: string, name: string, scope: IConstruct): string | undefined {
  if (Token.isUnresolved(name)) return undefined;
  let names = CLAIMED.get(stack);
  if (!names) CLAIMED.set(stack, (names = new Map()));
  const key = `${kind}\u0000${name}`;
  const first = names.get(key);
  if (first !== undefined && first !== scope.node.path) return first;
  names.set(key, scope.node.path);
  return undefined;
}
