#!/usr/bin/env node
// `npx token-guard`: runs the TypeScript CLI through tsx, so there is no build step to forget.
require('tsx/cjs');
require('./token-guard.ts');
