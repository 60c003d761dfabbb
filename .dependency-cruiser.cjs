// Layer rules of the design's Layout (../shared/DESIGN.md), checked by `npm run lint:layers` in CI.
//
// Direction, lowest first:  sandbox  <  data  <  registry  <  loaders  <  server  (<  bin)
//                           web (browser pages) imports nothing of ours; server composes everything.
// A folder may import only folders below it, so the top-level folders cannot form a cycle; and no
// module-level cycle is allowed anywhere. tests/ and bench/ may import anything, nothing imports them.
//
// Named exceptions (cycles not broken today; each names exactly the edges it allows, so it cannot grow):
//   ledger-uses-trading-core: data/postgres/ledger/* imports the pure trading core from server/trading
//     (money, types, clientOrderId, portfolio/book, portfolio/orderLifecycle, reconcile/classify),
//     while server/ imports the ledger: the data <-> server folder cycle of issue 12 item 7. Breaking it
//     means moving the pure trading core below data/ (or the ledger's book logic up into server/trading);
//     server/trading is being changed for netting at the time of writing, so it stays named here; the
//     netting work in progress (data/postgres/ledger/netGroups.ts) adds server/trading/netting/{netting,netStore}
//     to the list. Move those down with the rest when the cycle is broken.
//   registry-role-uses-lifecycle: registry/role.ts (registry from Postgres, being written at the time of
//     writing) names the type of server/lifecycle.ts's Lifecycle. Fix: move Lifecycle (no imports of ours)
//     to a lower folder, or give role.ts a small interface of its own; then delete this exception.
// Environment variables are read only in server/config (and bin/, tests/, bench/): that rule lives in
// eslint.layers.config.js (dependency-cruiser sees modules, not `process.env`), with its own exceptions.

/** The trading-core modules the Postgres ledger may import (exception ledger-uses-trading-core). */
const LEDGER_TRADING_CORE = '^server/trading/(money|types|clientOrderId|portfolio/book|portfolio/orderLifecycle|reconcile/classify|netting/netting|netting/netStore)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'sandbox-imports-nothing-of-ours',
      comment: 'sandbox/ runs untrusted code: it depends on node builtins and isolated-vm only.',
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^sandbox/', '(^|/)node_modules/isolated-vm/'] },
    },
    {
      name: 'lower-layers-never-import-server',
      comment: 'loaders/, registry/, data/ and web/ never import server/ (server composes them).',
      severity: 'error',
      from: { path: '^(loaders|registry|data|web)/', pathNot: ['^data/postgres/ledger/', '^registry/role\\.ts$'] },
      to: { path: '^server/' },
    },
    {
      name: 'ledger-uses-trading-core',
      comment:
        'Named exception: data/postgres/ledger may import only the listed pure trading-core modules of ' +
        'server/trading (cycle data <-> server not broken yet, see the header); anything else of server/ is refused.',
      severity: 'error',
      from: { path: '^data/postgres/ledger/' },
      to: { path: '^server/', pathNot: LEDGER_TRADING_CORE },
    },
    {
      name: 'registry-role-uses-lifecycle',
      comment: 'Named exception: registry/role.ts may import server/lifecycle.ts (its Lifecycle type) and nothing else of server/.',
      severity: 'error',
      from: { path: '^registry/role\\.ts$' },
      to: { path: '^server/', pathNot: '^server/lifecycle\\.ts$' },
    },
    {
      name: 'data-below-registry-and-loaders',
      comment: 'data/ (Postgres, Redis, market data) is below registry/ and loaders/; it may use sandbox/ only.',
      severity: 'error',
      from: { path: '^data/' },
      to: { path: '^(registry|loaders|web|bin)/' },
    },
    {
      name: 'registry-below-loaders',
      comment: 'registry/ may use data/ and sandbox/, never loaders/, web/ or bin/.',
      severity: 'error',
      from: { path: '^registry/' },
      to: { path: '^(loaders|web|bin)/' },
    },
    {
      name: 'loaders-below-server',
      comment: 'loaders/ may use registry/, data/ and sandbox/, never web/ or bin/.',
      severity: 'error',
      from: { path: '^loaders/' },
      to: { path: '^(web|bin)/' },
    },
    {
      name: 'web-imports-nothing-of-ours',
      comment: 'web/ holds browser pages and their scripts: they import only each other.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(server|sandbox|loaders|registry|data|bin|tests|bench)/' },
    },
    {
      name: 'server-never-imports-bin',
      comment: 'bin/ is the entry point above everything.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^bin/' },
    },
    {
      name: 'nothing-imports-tests-or-bench',
      comment: 'Product code never depends on tests/ or bench/.',
      severity: 'error',
      from: { pathNot: '^(tests|bench)/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'No module-level import cycle anywhere (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every relative import resolves to a file.',
      severity: 'error',
      from: { pathNot: '^web/assets/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(\\.qtc|examples|coverage)/' },
    // Type-only imports are dependencies too: a layer must not even name a higher layer's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
