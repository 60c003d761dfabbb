// Layer rules of the design's Layout (../shared/DESIGN.md), checked by `npm run lint:layers` in CI.
//
// Direction, lowest first:  sandbox  <  data  <  registry  <  loaders  <  server  (<  bin)
//                           web (browser pages) imports nothing of ours; server composes everything.
// A folder may import only folders below it, so the top-level folders cannot form a cycle; and no
// module-level cycle is allowed anywhere. tests/ and bench/ may import anything, nothing imports them.
//
// No named exceptions: the Postgres ledger lives in server/ledger (it stores the trading core's books),
// and registry/role.ts names only the small lifecycle interface it needs.
// Environment variables are read only in server/config (and bin/, tests/, bench/): that rule lives in
// eslint.layers.config.js (dependency-cruiser sees modules, not `process.env`), with its own exceptions.

module.exports = {
  forbidden: [
    {
      name: 'sandbox-imports-nothing-of-ours',
      comment:
        'sandbox/ runs untrusted code: it depends on node builtins and isolated-vm only (and esbuild, which ' +
        'sandbox/child/runtimeSource.ts uses to bundle sandbox/runtime/ into the isolate script).',
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^sandbox/', '(^|/)node_modules/isolated-vm/', '(^|/)node_modules/esbuild/'] },
    },
    {
      name: 'lower-layers-never-import-server',
      comment: 'loaders/, registry/, data/ and web/ never import server/ (server composes them).',
      severity: 'error',
      from: { path: '^(loaders|registry|data|web)/' },
      to: { path: '^server/' },
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
      name: 'sandbox-runtime-is-self-contained',
      comment:
        'sandbox/runtime/ is bundled into each isolate (sandbox/child/runtimeSource.ts) and runs in a bare V8 ' +
        'context: its modules import only each other (no node builtins, no packages, nothing else of ours).',
      severity: 'error',
      from: { path: '^sandbox/runtime/' },
      to: { pathNot: '^sandbox/runtime/' },
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
      comment:
        "Every relative import resolves to a file. 'qtc' is the strategies' SDK, an ambient module declared by " +
        'sandbox/sdk/qtc.d.ts (tests/types/qtcSdk.check.ts imports it to check it against the source).',
      severity: 'error',
      from: { pathNot: '^web/assets/' },
      to: { couldNotResolve: true, pathNot: '^qtc$' },
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
