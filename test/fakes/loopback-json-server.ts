// The loopback HTTP plumbing the AWS fakes share: listen on 127.0.0.1 at a free port, read a request body, answer
// JSON (and the awsJson error shape {"__type": ..., "message": ...}), and close without waiting on keep-alive sockets.
import { createServer, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 at a free port; resolves to the base URL, e.g. http://127.0.0.1:49152. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}


/** Closes a loopback server (if any) and every connection it still holds. */
export async function closeLoopback(server: Server | undefined): Promise<void> {
  if (!server) return;
  // Keep-alive sockets of the function under test would hold close() open.
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A fake served on loopback: `start()` listens and sets `endpoint`, every request goes to `handle`, `stop()` closes. */
export abstract class LoopbackJsonServer {
  /** The base URL once started, e.g. http://127.0.0.1:49152. */
  endpoint = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.endpoint = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeLoopback(server);
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A JSON request body as an object; an empty body counts as {}. */
export function parseJsonBody(body: Buffer | string): Record<string, unknown> {
  return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
}

/** Answers `payload` as JSON with the given status and headers. */
export function sendJson(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, payload: unknown): void {
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

/** Answers the awsJson error shape {"__type": type, "message": message}. */
export function sendAwsJsonError(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, type: string, message: string): void {
  sendJson(res, status, headers, { __type: type, message });
}
