#!/usr/bin/env node
// `whatsapp-token-guard`, the operator command (compiled to dist/bin/token-guard.js, the package's bin).
// Everything lives in bin/cli/main.ts so tests can run it in-process.
import { runCli } from './cli/main';

// The pinned AWS SDK supports the Node versions in package.json `engines`; on Node 20 it would print seven lines
// about future SDK releases before every answer, against our promise of one line with the fix. This is the SDK's
// documented switch (https://github.com/aws/aws-sdk-js-v3/issues/7983), set for this process only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
