import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config/config.ts';

describe('git sync configuration', () => {
  it('polls every minute and allows <QTC_DATA_DIR>/local-repos by default', () => {
    const config = loadConfig({ QTC_DATA_DIR: '/srv/qtc' });
    expect(config.gitPollIntervalMs).toBe(60_000);
    expect(config.gitAllowedLocalPaths).toEqual(['/srv/qtc/local-repos']);
  });

  it('reads GIT_POLL_INTERVAL_MS (0 turns polling off) and a list of allowed roots', () => {
    const config = loadConfig({ GIT_POLL_INTERVAL_MS: '0', GIT_ALLOWED_LOCAL_PATHS: ['/srv/repos', ' /home/git/teams/ ', ''].join(path.delimiter) });
    expect(config.gitPollIntervalMs).toBe(0);
    expect(config.gitAllowedLocalPaths).toEqual(['/srv/repos', '/home/git/teams']);
  });

  it('refuses a negative interval and relative roots, naming the variable', () => {
    expect(() => loadConfig({ GIT_POLL_INTERVAL_MS: '-5' })).toThrow(/GIT_POLL_INTERVAL_MS must be a whole number/);
    expect(() => loadConfig({ GIT_ALLOWED_LOCAL_PATHS: 'repos' })).toThrow(ConfigError);
    expect(() => loadConfig({ GIT_ALLOWED_LOCAL_PATHS: 'repos' })).toThrow(/GIT_ALLOWED_LOCAL_PATHS must be absolute folder paths/);
  });
});
