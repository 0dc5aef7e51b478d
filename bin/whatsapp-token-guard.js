#!/usr/bin/env node
// The package's `bin`: runs the compiled operator command (dist/cli/whatsapp-token-guard.js, written by
// scripts/build-cli.ts), or, in a checkout where it was never built, says what to run instead of npx's bare
// "whatsapp-token-guard: not found". Plain JavaScript on purpose: it must run before anything is built.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'cli', 'whatsapp-token-guard.js');
if (!fs.existsSync(built)) {
  const root = path.join(__dirname, '..');
  process.stderr.write(
    `whatsapp-token-guard: the operator command is not built in ${root} (dist/cli/whatsapp-token-guard.js is missing). ` +
      'Run `npm run build` there (`npm ci` and `npm install` build it too, through the `prepare` script), then run the command again.\n',
  );
  process.exit(2);
}
require(built);
