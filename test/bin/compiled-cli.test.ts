// The operator command as the package ships it: dist/cli/whatsapp-token-guard.js run by plain node, no tsx.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { networkCause } from '../../bin/cli/errors';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'whatsapp-token-guard.js');

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    // Only what an operator's shell would have; never the developer's own AWS profile.
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('compiled operator command', () => {
  it('is plain JavaScript with a node shebang and needs neither tsx nor TypeScript', () => {
    const text = fs.readFileSync(CLI, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(text).not.toMatch(/require\("tsx|require\("typescript"\)/);
  });

  it('prints its help under the package name and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: whatsapp-token-guard \[options\] \[command\]/);
    expect(r.stdout).toMatch(/set-token/);
  });

  it('rejects an unknown command with exit 2', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(2);
  });

  it('says in one line that AWS could not be reached and why, with no SDK notice before it', async () => {
    // GIVEN credentials and a region, but an AWS endpoint that refuses connections
    const port = await closedPort();
    // WHEN
    const r = run(['status'], { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    // THEN exit 2 and exactly one line on stderr that names the cause and the fix
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `whatsapp-token-guard: Could not reach AWS in eu-west-1: the connection to 127.0.0.1:${port} was refused (ECONNREFUSED). Check your network, --region and any proxy or AWS_ENDPOINT_URL setting, and retry.`,
    ]);
  });
});

describe('networkCause', () => {
  it.each([
    [{ name: 'Error', code: 'ENOTFOUND', hostname: 'cloudformation.xx-nowhere-1.amazonaws.com', message: 'getaddrinfo ENOTFOUND cloudformation.xx-nowhere-1.amazonaws.com' }, 'the host name cloudformation.xx-nowhere-1.amazonaws.com does not resolve (ENOTFOUND)'],
    [{ name: 'Error', message: 'read ECONNRESET' }, 'the connection was closed during the request (ECONNRESET)'],
    [{ name: 'TimeoutError', message: 'Connection timed out after 1000 ms' }, 'no answer in time (TimeoutError: Connection timed out after 1000 ms)'],
    [{ name: 'Error', message: 'socket hang up' }, 'the connection was closed before an answer (socket hang up)'],
  ])('names the cause of %p', (err, cause) => {
    expect(networkCause(Object.assign(new Error(err.message), err))).toBe(cause);
  });

  it('returns nothing for an error that is not about the network', () => {
    expect(networkCause(Object.assign(new Error('User: x is not authorized'), { name: 'AccessDeniedException' }))).toBeUndefined();
  });
});
