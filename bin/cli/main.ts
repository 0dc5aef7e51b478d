// `whatsapp-token-guard`: the operator command. Parses flags with commander, finds the deployed guard, runs one
// command, and turns every failure into one line with the fix and an exit status.
import { Command, CommanderError, Option } from 'commander';
import { Clients, locate, makeClients } from './aws';
import { check, history, rotate, setAppSecret, setToken, status } from './commands';
import { CliError, explainAwsError } from './errors';
import { InputStream, readSecretValue } from './input';
import { parseAppSecret, parseTokenSecret } from '../../lambda/core/parse-secret';
import { COLOUR, PLAIN } from './render';
import { Session } from './session';
import { checkTokenName, fleetAdd, fleetCheck, fleetList, fleetRemove, fleetSetToken, locateFleet, readFleetAddInput } from './fleet';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// Bundled into the compiled command at build time (esbuild inlines JSON), so --version names the installed package.
import { version as PACKAGE_VERSION } from '../../package.json';

export interface CliIo {
  readonly stdin: InputStream;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Tests inject clients; the command builds real ones otherwise. */
  readonly clients?: Clients;
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

interface GlobalOptions {
  stack?: string;
  token?: string;
  region?: string;
  profile?: string;
  json?: boolean;
  color?: boolean;
  secretArn?: string;
  appSecretArn?: string;
  functionName?: string;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const writeErr = (line: string): void => void io.stderr.write(`${line}\n`);
  const program = new Command('whatsapp-token-guard')
    .description('Operate whatsapp-token-guard: hand in a token, check it now, see where things stand.')
    .option('--stack <name>', 'stack of the guard (needed when a token name repeats across stacks)')
    .option('--token <name>', 'token name (needed when several guards are deployed in the region)')
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--profile <profile>', 'AWS named profile (default: AWS_PROFILE)')
    .option('--json', 'machine-readable output')
    .option('--no-color', 'no colours even on a terminal')
    .option('--secret-arn <arn>', 'token secret ARN (instead of the one the function uses)')
    .option('--app-secret-arn <arn>', 'app secret ARN (instead of the one the function uses)')
    .option('--function-name <name>', 'checker function name or ARN (instead of finding it by its tags)')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version of the command')
    // Each subcommand's --help lists --token, --stack, --region, --profile and the rest too: they work after it.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });

  const withSession = (fn: (s: Session, g: GlobalOptions) => Promise<number>) => async (): Promise<void> => {
    const g = program.opts<GlobalOptions>();
    const region = g.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const colour = g.color !== false && Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
    const s: Session = {
      clients: io.clients ?? makeClients({ region, profile: g.profile }),
      out: (line) => void io.stdout.write(`${line}\n`),
      progress: (line) => {
        if (io.stderr.isTTY) io.stderr.write(`\r\u001b[2K${line}`);
      },
      style: colour ? COLOUR : PLAIN,
      json: Boolean(g.json),
      pollIntervalMs: io.pollIntervalMs ?? 2000,
      sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      now: io.now ?? (() => Date.now()),
    };
    try {
      exitCode = await fn(s, g);
    } catch (e) {
      const err = explainAwsError(e, { region, profile: g.profile, stackName: g.stack });
      if (io.stderr.isTTY) io.stderr.write('\r\u001b[2K');
      writeErr(`whatsapp-token-guard: ${err.message}`);
      exitCode = err.exitCode;
    }
  };
  const target = (s: Session, g: GlobalOptions) => locate(s.clients, { stack: g.stack, token: g.token, secretArn: g.secretArn, appSecretArn: g.appSecretArn, functionName: g.functionName });
  const timeout = new Option('--timeout <seconds>', 'how long to wait for the rotation').default(180).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 10 || n > 3600) throw new CliError(`--timeout must be whole seconds from 10 to 3600, got "${v}".`);
    return n;
  });

  program
    .command('set-token')
    .description('Hand in a new token (from stdin, hidden at a terminal, or --file), validate it and promote it only if Meta confirms it')
    .option('--file <path>', 'read the token from this file instead of stdin')
    .addOption(timeout)
    .action(async (o: { file?: string; timeout: number }) =>
      withSession(async (s, g) => {
        // Obviously bad input is refused before any AWS call (not even the stack lookup).
        const token = await readSecretValue({ file: o.file, stdin: io.stdin, prompt: io.stderr, label: 'token', parse: parseTokenSecret });
        return setToken(s, await target(s, g), token, o.timeout);
      })(),
    );
  program
    .command('set-app-secret')
    .description('Store the Meta app secret (from stdin or --file) and prove Meta accepts it; a refused one is rolled back')
    .option('--file <path>', 'read the app secret from this file instead of stdin')
    .action(async (o: { file?: string }) =>
      withSession(async (s, g) => {
        const appSecret = await readSecretValue({ file: o.file, stdin: io.stdin, prompt: io.stderr, label: 'app secret', parse: parseAppSecret });
        return setAppSecret(s, await target(s, g), appSecret);
      })(),
    );
  program
    .command('rotate')
    .description('Refresh or mint a new token now (refresh and mint modes), wait, and print the verdict')
    .addOption(timeout)
    .action(async (o: { timeout: number }) => withSession(async (s, g) => rotate(s, await target(s, g), o.timeout))());
  program
    .command('check')
    .description('Check the token now; exit 0 healthy, 1 unhealthy, 2 could not check')
    .action(async () => withSession(async (s, g) => check(s, await target(s, g)))());
  program
    .command('status')
    .description("The secret's versions and labels (never values), the last rotation and check, and every alarm")
    .action(async () => withSession(async (s, g) => status(s, await target(s, g)))());
  program
    .command('history')
    .description('Recent health changes and rotations of the token (time, from -> to, cause), read from the health ledger')
    .addOption(
      new Option('--limit <n>', 'how many lines').default(20).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 500) throw new CliError(`--limit must be a whole number from 1 to 500, got "${v}".`);
        return n;
      }),
    )
    .action(async (o: { limit: number }) => withSession(async (s, g) => history(s, await target(s, g), o.limit))());

  // Fleet mode: many tokens of one app, onboarded and removed without a deploy.
  const fleet = program.command('fleet').description('Onboard, remove, list and check the tokens of the stack\'s token fleet').option('--fleet <name>', 'fleet name (checked against the stack)');
  const inFleet = (fn: (s: Session, f: Awaited<ReturnType<typeof locateFleet>>, g: GlobalOptions) => Promise<number>) =>
    withSession(async (s, g) => fn(s, await locateFleet(s.clients.cloudformation, g.stack ?? 'WhatsAppTokenGuard', fleet.opts<{ fleet?: string }>().fleet), g));
  fleet
    .command('add <name>')
    .description('Read a token from stdin (or --file), validate it with Meta, store it as the fleet secret of <name> with its settings as tags, enable rotation and record its first verdict')
    .option('--waba <id>', 'WhatsApp Business Account id to probe')
    .option('--phone <id>', 'phone number id to probe')
    .option('--rotation <mode>', 'hand-made | refresh | mint', 'hand-made')
    .option('--system-user <id>', 'system user whose tokens are minted (mint)')
    .option('--scopes <list>', 'required permissions, instead of the fleet\'s')
    .option('--expiry-warning-days <days>', 'warning window, instead of the fleet\'s')
    .option('--revoke-previous-after-hours <hours>', 'refresh/mint: revoke a demoted token this many hours after its rotation, instead of the fleet\'s default')
    .option('--file <path>', 'read the token from this file instead of stdin')
    .action(async (name: string, o: { waba?: string; phone?: string; rotation?: string; systemUser?: string; scopes?: string; expiryWarningDays?: string; revokePreviousAfterHours?: string; file?: string }) =>
      withSession(async (s, g) => {
        // The name, the flags and the token are read and checked before any AWS call (not even the stack lookup).
        const input = await readFleetAddInput(name, { ...o, stdin: io.stdin, prompt: io.stderr });
        return fleetAdd(s, await locateFleet(s.clients.cloudformation, g.stack ?? 'WhatsAppTokenGuard', fleet.opts<{ fleet?: string }>().fleet), input);
      })(),
    );
  fleet
    .command('set-token <name>')
    .description('Hand in a new token for <name> (from stdin, hidden at a terminal, or --file): validated by the fleet\'s function and promoted only if Meta confirms it')
    .option('--file <path>', 'read the token from this file instead of stdin')
    .addOption(timeout)
    .action(async (name: string, o: { file?: string; timeout: number }) =>
      withSession(async (s, g) => {
        checkTokenName(name);
        const token = await readSecretValue({ file: o.file, stdin: io.stdin, prompt: io.stderr, label: 'token', parse: parseTokenSecret });
        return fleetSetToken(s, await locateFleet(s.clients.cloudformation, g.stack ?? 'WhatsAppTokenGuard', fleet.opts<{ fleet?: string }>().fleet), name, token, o.timeout);
      })(),
    );
  fleet
    .command('remove <name>')
    .description('Stop guarding <name>: the fleet tag comes off and rotation stops; the secret is kept unless --delete-secret')
    .option('--delete-secret', 'also revoke every token the guard obtained or parked in the secret, then schedule it for deletion (recoverable for --recovery-days)')
    .option('--revoke-current', 'with --delete-secret: revoke the live AWSCURRENT token too')
    .option('--recovery-days <days>', 'days before a deleted secret is gone for good (7-30)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 7 || n > 30) throw new CliError(`--recovery-days must be a whole number from 7 to 30, got "${v}".`);
      return n;
    })
    .action(async (name: string, o: { deleteSecret?: boolean; recoveryDays?: number; revokeCurrent?: boolean }) =>
      withSession(async (s, g) => {
        checkTokenName(name);
        return fleetRemove(s, await locateFleet(s.clients.cloudformation, g.stack ?? 'WhatsAppTokenGuard', fleet.opts<{ fleet?: string }>().fleet), name, o);
      })(),
    );
  fleet
    .command('list')
    .description("Every token's status, problems, expiry and last check, from the health ledger")
    .option('--sort <key>', 'status | name | expiry | checked', 'status')
    .option('--status <status>', 'only tokens with this status (healthy, unhealthy, check-failed)')
    .action(async (o: { sort?: string; status?: string }) =>
      inFleet((s, f, g) => fleetList(s, f, { ...o, dynamodb: new DynamoDBClient({ ...(g.region ? { region: g.region } : {}), ...(g.profile ? { profile: g.profile } : {}) }) }))(),
    );
  fleet
    .command('check <name>')
    .description('Check one token now; exit 0 healthy, 1 unhealthy, 2 could not check')
    .action(async (name: string) =>
      withSession(async (s, g) => {
        checkTokenName(name);
        return fleetCheck(s, await locateFleet(s.clients.cloudformation, g.stack ?? 'WhatsAppTokenGuard', fleet.opts<{ fleet?: string }>().fleet), name);
      })(),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // help/version print and exit 0
    if (e instanceof CliError) {
      writeErr(`whatsapp-token-guard: ${e.message}`);
      return e.exitCode;
    }
    writeErr(`whatsapp-token-guard: ${(e as Error).message}`);
    return 2;
  }
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  return exitCode;
}
