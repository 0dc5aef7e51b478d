// Turns what can go wrong around the CLI into one line with the fix, never a stack trace.
// Messages never include a secret value: callers pass none in, and the SDK never echoes one.

/** An error meant for the operator: `message` is the whole line to print; `exitCode` 2 = could not do it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface ErrorContext {
  readonly region?: string;
  readonly profile?: string;
  readonly stackName?: string;
}

/** Maps an SDK or runtime error to a CliError with a fix. */
export function explainAwsError(e: unknown, ctx: ErrorContext): CliError {
  if (e instanceof CliError) return e;
  const err = e as Error & { name?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = err.name ?? 'Error';
  const message = String(err.message ?? '');
  const where = `${ctx.region ?? 'the default region'}${ctx.profile ? `, profile "${ctx.profile}"` : ''}`;
  if (name === 'CredentialsProviderError' || /Could not load credentials|credentials? (are|is) missing|Unable to locate credentials/i.test(message)) {
    return new CliError(
      ctx.profile
        ? `No AWS credentials found for profile "${ctx.profile}". Run "aws sso login --profile ${ctx.profile}" (or configure the profile) and retry.`
        : 'No AWS credentials found. Set AWS_PROFILE or pass --profile, or run "aws configure", and retry.',
    );
  }
  if (/Region is missing|region is not set/i.test(message)) return new CliError('No AWS region set. Pass --region (the region you deployed to) or set AWS_REGION.');
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') return new CliError(`Your AWS session has expired (${where}). Log in again${ctx.profile ? ` with "aws sso login --profile ${ctx.profile}"` : ''} and retry.`);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || /not authorized to perform/i.test(message)) {
    const action = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1];
    return new CliError(`Access denied${action ? `: your identity lacks ${action}` : ''} (${where}). Ask for that permission on the guard's resources (see docs/operator-command.md, "Operator permissions") and retry.`);
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    return new CliError(`Stack${ctx.stackName ? ` "${ctx.stackName}"` : ""} is not deployed in ${where}. Check --region/--stack, or run "npx cdk deploy" first.`);
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') return new CliError(`AWS rejected the credentials (${name}) in ${where}. Check the profile and region, and retry.`);
  if (name === 'ResourceNotFoundException') return new CliError(`Not found in ${where}: ${message.slice(0, 200)}. Check --region and --stack, or redeploy.`);
  const cause = networkCause(err);
  if (cause) return new CliError(`Could not reach AWS in ${where}: ${cause}. Check your network, --region and any proxy or AWS_ENDPOINT_URL setting, and retry.`);
  return new CliError(`${name}: ${message.slice(0, 300)}`);
}

type NetworkError = Error & { code?: string; hostname?: string; address?: string; port?: number };

/** What failed on the way to AWS, in words, with Node's error code; undefined when it was not the network. */
export function networkCause(err: NetworkError): string | undefined {
  const message = String(err.message ?? '');
  const code = err.code ?? /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/.exec(message)?.[1];
  const host = err.hostname ?? (err.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : undefined) ?? /(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT) (\S+)/.exec(message)?.[1];
  const at = host ? ` ${host}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `the connection to${at || ' the endpoint'} was refused (ECONNREFUSED)`;
    case 'ENOTFOUND':
      return `the host name${at} does not resolve (ENOTFOUND)`;
    case 'EAI_AGAIN':
      return `the DNS lookup of${at || ' the endpoint'} failed for now (EAI_AGAIN)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection${host ? ` to ${host}` : ''} was closed during the request (${code})`;
    case 'ETIMEDOUT':
      return `the connection${host ? ` to ${host}` : ''} timed out (ETIMEDOUT)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to${at || ' the endpoint'} (${code})`;
  }
  if (err.name === 'TimeoutError') return `no answer in time (TimeoutError: ${message.slice(0, 120)})`;
  if (/socket hang up/.test(message)) return 'the connection was closed before an answer (socket hang up)';
  return undefined;
}
