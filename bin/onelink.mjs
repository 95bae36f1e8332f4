#!/usr/bin/env node
// The onelink command. An installed package runs the compiled dist/; a checkout without a build
// runs the TypeScript sources through tsx (a development dependency).
const compiled = new URL('../dist/lib/cli/status.js', import.meta.url);
const source = new URL('../lib/cli/status.ts', import.meta.url);

async function load() {
  try {
    return await import(compiled.href);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
    const { register } = await import('tsx/esm/api');
    register();
    return import(source.href);
  }
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
