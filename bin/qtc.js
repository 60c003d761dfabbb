#!/usr/bin/env -S node --no-node-snapshot
// Entry for `npx qtc` and `npm start`. Plain JavaScript on purpose: it must run on any
// Node version far enough to print why an old one is refused (isolated-vm 7 needs Node 24;
// older isolated-vm releases carry an unpatched sandbox escape, GHSA-864f-rcv7-6rh4).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`qtc: Node.js ${process.versions.node} is too old; Node 24 or newer is required (run through npm scripts or npx after \`npm ci\`, which bring Node 24).\n`);
  process.exit(1);
}
// Node's on-disk compile cache (in the OS temp folder, keyed by file contents): later runs skip most of
// the TypeScript stripping and V8 compiling of the CLI's modules, about 0.3-0.5 s of a `qtc backtest`.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../server/cli/main.ts');
