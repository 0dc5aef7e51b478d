// Operator command entry: everything lives in bin/cli/main.ts so tests can run it in-process.
import { runCli } from './cli/main';

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
