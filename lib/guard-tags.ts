// Tags every guard puts on its resources: cost allocation and ownership per token and stack, and the
// contract the operator command uses to find a guard wherever it was deployed (the app's stack or a
// stack of your own). Renaming a key here breaks `token-guard` for deployed guards.

/** Tag keys the guard sets itself. User tags may not use the prefix. */
export const GuardTag = {
  /** The token name (TokenName metric dimension), on every resource of the guard. */
  Token: 'whatsapp-token-guard:token',
  /** The CloudFormation stack name, on every resource of the guard. */
  Stack: 'whatsapp-token-guard:stack',
  /** What a resource is for; the checker/rotation function carries `checker`. */
  Component: 'whatsapp-token-guard:component',
} as const;

/** Component tag value of the function that checks and rotates the token: the one resource the CLI looks up. */
export const CHECKER_COMPONENT = 'checker';

/** The tag contract as static members, for every jsii language (jsii ignores `export const`). */
export class GuardTags {
  /** Tag key holding the token name. */
  public static readonly TOKEN: string = GuardTag.Token;
  /** Tag key holding the stack name. */
  public static readonly STACK: string = GuardTag.Stack;
  /** Tag key saying what a resource is for. */
  public static readonly COMPONENT: string = GuardTag.Component;
  /** COMPONENT value of the checker/rotation function. */
  public static readonly CHECKER: string = CHECKER_COMPONENT;

  private constructor() {}
}
