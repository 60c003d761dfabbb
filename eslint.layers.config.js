// Layer rule that dependency-cruiser (.dependency-cruiser.cjs) cannot see: environment variables are
// read only in server/config (and in bin/, tests/, bench/, which this config does not lint).
// Run by `npm run lint:layers`. No type information needed, so it is quick.
import tseslint from 'typescript-eslint';

const ENV_MESSAGE = 'Read environment variables only in server/config (validated there) and pass the values in.';

export default [
  { ignores: ['node_modules/', '.qtc/', 'coverage/', 'examples/', 'bin/', 'tests/', 'bench/', 'web/assets/vendor/'] },
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: { parser: tseslint.parser, sourceType: 'module' },
    // Registered so the main config's disable comments (e.g. @typescript-eslint/no-this-alias) resolve.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // Also catches `const { env } = process`.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'process', importNames: ['env'], message: ENV_MESSAGE },
            { name: 'node:process', importNames: ['env'], message: ENV_MESSAGE },
          ],
        },
      ],
    },
  },
  { files: ['server/config/**'], rules: { 'no-restricted-properties': 'off', 'no-restricted-imports': 'off' } },
  // Not settings: code that passes the whole environment on to child processes (PATH, HOME, proxies) or
  // sets a child's internal role variable. Every setting is read in server/config; add a line here only
  // for the same reason.
  {
    files: [
      // Passing the whole environment on to a child process (PATH, HOME, proxies), not reading settings:
      'data/embedded/binaries.ts', // PATH lookup of initdb/postgres/redis-server, env for apt-get
      'data/embedded/managedProcess.ts', // default env of the embedded Postgres/Redis children
      'loaders/git/gitProcess.ts', // default base env of git children (PATH, HOME, ssh agent, proxies)
      'sandbox/host/sandboxChild.ts', // env of sandbox children (TZ forced to UTC)
      // qtc all's process tree (being split at the time of writing): the env of its api/worker children and
      // the child's own internal role variable, set by the parent, not a setting.
      'server/roles/**',
    ],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-imports': 'off' },
  },
];
