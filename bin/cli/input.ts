// Reads a secret value for set-token / set-app-secret: from a file or stdin, hidden when typed at a
// terminal, never from argv (shell history) or the environment. Judged by the same rules as the Lambda.
import { promises as fs } from 'node:fs';
import { ParseResult } from '../../lambda/core/parse-secret';
import { CliError } from './errors';

export interface InputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal without echoing it. */
function readHidden(stdin: InputStream, prompt: NodeJS.WritableStream, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    prompt.write(`Paste the ${label} and press Enter (input is hidden): `);
    stdin.setRawMode?.(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer | string): void => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('Cancelled.', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (err?: Error): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    stdin.on('data', onData);
  });
}

/** Reads, trims and judges the value; refuses an obviously wrong one before anything touches AWS. */
export async function readSecretValue(o: { file?: string; stdin: InputStream; prompt: NodeJS.WritableStream; label: string; parse: (raw: string) => ParseResult }): Promise<string> {
  let raw: string;
  if (o.file) {
    try {
      raw = await fs.readFile(o.file, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read --file ${o.file} (${(e as NodeJS.ErrnoException).code ?? 'error'}). Check the path, or pipe the ${o.label} on stdin.`);
    }
  } else if (o.stdin.isTTY) raw = await readHidden(o.stdin, o.prompt, o.label);
  else raw = await readAll(o.stdin);
  // The Lambda's own parser: trims copy-paste whitespace, accepts the JSON form or the bare value.
  const parsed = o.parse(raw);
  if (!parsed.ok) throw new CliError(`${parsed.reason} Nothing was changed. Paste the bare ${o.label} and retry.`, 2);
  return parsed.value;
}
