#!/usr/bin/env node
// The onelink command. An installed package runs the compiled dist/; a checkout (where the
// TypeScript sources are) runs them through tsx, a development dependency, so a stale build never answers.
import { existsSync } from 'node:fs';

const source = new URL('../lib/cli/status.ts', import.meta.url);
const compiled = new URL('../dist/lib/cli/status.js', import.meta.url);

async function load() {
  if (!existsSync(source)) return import(compiled.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(source.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
