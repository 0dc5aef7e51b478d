// The same fakes without sockets, for the model-based tests: the real SDK client (serializer, SigV4 signer, error
// parser, retries) hands its HTTP request to the Secrets Manager fake's `dispatch`, and the real GraphClient's fetch
// reaches the Graph emulator's request handler, both in this process. Each call goes through a `Gate` the test
// owns: it can hold the call back (fast-check's scheduler reorders concurrent calls there), fail it the way the
// network fails, or lose the answer after the fake applied the call. No timers anywhere on this path, so a run is
// reproducible from its seed.
import type { HttpRequest, HttpResponse, RequestHandler, RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from '@smithy/types';

type HttpHandler = RequestHandler<HttpRequest, HttpResponse>;
import type { SecretsManagerFake } from './secrets-manager-fake';

/** What a call looks like to the gate: which service and operation, and the input (for faults that match on it). */
export interface WireCall {
  readonly service: 'secretsmanager' | 'graph';
  /** `PutSecretValue`, or for Graph `GET debug_token`, `POST 123/access_tokens`, `GET oauth/revoke`... */
  readonly op: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Runs `apply` (the fake answering) when and how the test decides; may throw a network error instead. */
export type Gate = (call: WireCall, apply: () => Promise<Answer>) => Promise<Answer>;

/** A network-level failure as the SDK and fetch report it: no answer at all. */
export function networkError(name: 'TimeoutError' | 'ECONNRESET'): Error {
  const e = new Error(name === 'TimeoutError' ? 'The operation was aborted due to timeout' : 'socket hang up');
  e.name = name === 'TimeoutError' ? 'TimeoutError' : 'Error';
  if (name === 'ECONNRESET') (e as Error & { code?: string }).code = 'ECONNRESET';
  return e;
}

/** A Smithy HttpHandler that answers from the Secrets Manager fake's `dispatch`. */
export function secretsManagerHandler(sm: SecretsManagerFake, gate: Gate): HttpHandler {
  return {
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const input = JSON.parse(body || '{}') as Record<string, unknown>;
      const answer = await gate({ service: 'secretsmanager', op: target.replace(/^secretsmanager\./, ''), input }, async () => {
        const a = sm.dispatch(target, String(request.headers.authorization ?? ''), body);
        const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
        if (a.type) headers['x-amzn-errortype'] = a.type;
        return { status: a.status, headers, body: JSON.stringify(a.type ? { __type: a.type, message: a.message } : a.json) };
      });
      return { response: { statusCode: answer.status, headers: { ...answer.headers }, body: new Uint8Array(Buffer.from(answer.body)) } as HttpResponse };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  } as unknown as HttpHandler;
}

/**
 * The SDK's standard retry decisions (3 attempts; throttling, transient and server errors are retried, client errors
 * are not) without its backoff timers, so the scheduler, not the clock, orders what happens.
 */
export function immediateRetries(maxAttempts = 3): RetryStrategyV2 {
  const token = (count: number): StandardRetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryTokenCount: () => 0, hasRetryTokens: () => true, releaseRetryTokens: () => undefined } as unknown as StandardRetryToken);
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t: RetryToken, info: RetryErrorInfo) => {
      if (info.errorType === 'CLIENT_ERROR' || t.getRetryCount() + 1 >= maxAttempts) throw new Error('No retry token available');
      return token(t.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

interface RequestLike {
  url: string;
  method: string;
  headers: Record<string, string>;
  socket: { destroy(): void };
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
}

/** Node-style request handlers (the Graph emulator's): runs one with a request and a response of our own, no socket. */
export async function answerFromNodeHandler(handler: (req: never, res: never) => Promise<void>, url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Answer> {
  const chunks = init.body === undefined ? [] : [Buffer.from(init.body)];
  const req: RequestLike = {
    url: `${url.pathname}${url.search}`,
    method: init.method,
    headers: init.headers,
    socket: { destroy: () => undefined },
    async *[Symbol.asyncIterator]() {
      yield* chunks;
    },
  };
  let status = 200;
  let headers: Record<string, string> = {};
  let body = '';
  const res = {
    destroyed: false,
    writeHead(s: number, h: Record<string, string | number | string[]> = {}) {
      status = s;
      headers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]));
      return res;
    },
    end(b?: string | Buffer) {
      body = b === undefined ? '' : String(b);
    },
  };
  await handler(req as never, res as never);
  return { status, headers, body };
}

/** A `fetch` that answers from a Node-style handler in this process, through the gate. */
export function inProcessFetch(handler: (req: never, res: never) => Promise<void>, gate: Gate): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
    const body = typeof init.body === 'string' ? init.body : undefined;
    const params = { ...Object.fromEntries(url.searchParams), ...(body && headers['content-type']?.includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body)) : {}) };
    const op = `${method} ${url.pathname.replace(/^\/v\d+\.\d+\//, '')}`;
    const answer = await gate({ service: 'graph', op, input: params }, () => answerFromNodeHandler(handler, url, { method, headers, body }));
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
}
