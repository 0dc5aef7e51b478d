// The contract's identifiers for consumers of the package (dashboards, alarms, scripts), as static members so
// every jsii language sees them (jsii ignores `export const`). The values come from lambda/contract.ts, the one
// place the Lambda and the constructs share.
import { CONTRACT_VERSION, NAMESPACE, TOKEN_NAME_DIMENSION } from '../lambda/contract';

/** Identifiers of the metrics and secrets contract the guard keeps across minor versions. */
export class GuardContract {
  /** Contract version: changes only with a major package version (see CHANGELOG.md). */
  public static readonly VERSION: string = CONTRACT_VERSION;
  /** CloudWatch namespace of every metric the guard publishes. */
  public static readonly NAMESPACE: string = NAMESPACE;
  /** The single dimension of every per-token metric. */
  public static readonly TOKEN_NAME_DIMENSION: string = TOKEN_NAME_DIMENSION;

  private constructor() {}
}
