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
  // Named exceptions: today's reads outside server/config, each with its reason. Remove a line once its
  // value comes from server/config; do not add one without a reason.
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
      // Settings still read where they are used (to move into server/config):
      'data/redis/keys.ts', // QTC_REDIS_PREFIX (test isolation of Redis keys)
      'server/trading/brokers/alpaca/sharedBudget.ts', // QTC_REDIS_PREFIX, same as data/redis/keys.ts
      'server/cli/commands/adminOps.ts', // QTC_ADMIN_KEY for qtc admin
      'server/observability/logger.ts', // LOG_FORMAT default argument, NO_COLOR
      'server/worker/worker.ts', // QTC_TICK_PAUSE_AT (test hook pausing a tick stage)
    ],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-imports': 'off' },
  },
];
