import { describe, expect, it } from 'vitest';
import { classifyRepo, localPathIsAllowed, normaliseSubPath, validateBranch } from '../../../loaders/git/repoSource.ts';

const options = { base: '/srv/registry', allowedRoots: ['/srv/repos', '/home/git/teams'] };

describe('classifyRepo', () => {
  it.each([
    ['https://github.com/team/strategy.git', 'https', 'https://github.com/team/strategy.git'],
    ['https://token:secret@git.example.org:8443/team/s.git', 'https', 'https://***@git.example.org:8443/team/s.git'],
    ['ssh://git@git.example.org:2222/team/s.git', 'ssh', 'ssh://***@git.example.org:2222/team/s.git'],
    ['git@github.com:team/strategy.git', 'ssh', 'git@github.com:team/strategy.git'],
    ['gitea.local:team/strategy', 'ssh', 'gitea.local:team/strategy'],
    ['/srv/repos/alpha.git', 'file', '/srv/repos/alpha.git'],
    ['file:///home/git/teams/beta', 'file', '/home/git/teams/beta'],
    ['../repos/gamma.git', 'file', '/srv/repos/gamma.git'],
  ])('accepts %s as %s', (spec, protocol, display) => {
    const result = classifyRepo(spec, options);
    expect(result).toMatchObject({ ok: true, source: { protocol, display } });
  });

  it('hands git the credentials it needs but never shows them', () => {
    const result = classifyRepo('https://token:secret@git.example.org/team/s.git', options);
    expect(result).toMatchObject({ ok: true, source: { location: 'https://token:secret@git.example.org/team/s.git' } });
    expect(JSON.stringify(result.ok && result.source.display)).not.toContain('secret');
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /transport "ext::" is not allowed/],
    ['fd::0', /transport "fd::" is not allowed/],
    ['file::/srv/repos/a', /transport "file::" is not allowed/],
    ['http://example.org/a.git', /protocol "http:\/\/" is not allowed/],
    ['git://example.org/a.git', /protocol "git:\/\/" is not allowed/],
    ['ftp://example.org/a.git', /protocol "ftp:\/\/" is not allowed/],
    ['ssh://-oProxyCommand=touch%20x/a.git', /valid host name/],
    ['-uhook@host:x', /must not start with "-"/],
    ['git@host:-x', /must not start with "-"/],
    ['git@-host:x', /not a valid host name/],
    ['https://example.org', /needs a path/],
    ['https://exa mple.org/x', /without spaces/],
    ['https://example.org/a\n.git', /control characters/],
    ['/etc/passwd', /not under an allowed root/],
    ['/srv/repos-evil/a.git', /not under an allowed root/],
    ['/srv/repos/../etc', /not under an allowed root/],
    ['file://host/srv/repos/a', /must name a local path/],
    ['', /URL or path/],
  ])('refuses %j', (spec, reason) => {
    const result = classifyRepo(spec, options);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('refuses every local path when no root is configured, and says so', () => {
    expect(classifyRepo('/srv/repos/a.git', { base: '/', allowedRoots: [] })).toEqual({
      ok: false,
      reason: 'local repository /srv/repos/a.git is not under an allowed root (GIT_ALLOWED_LOCAL_PATHS: none are configured)',
    });
  });
});

describe('localPathIsAllowed', () => {
  it('compares resolved paths by whole components', () => {
    expect(localPathIsAllowed('/srv/repos/a.git', ['/srv/repos'])).toBe(true);
    expect(localPathIsAllowed('/srv/repos', ['/srv/repos'])).toBe(true);
    expect(localPathIsAllowed('/srv/repos2/a.git', ['/srv/repos'])).toBe(false);
    expect(localPathIsAllowed('/etc', ['/srv/repos'])).toBe(false);
  });
});

describe('validateBranch', () => {
  it.each(['main', 'feature/x-1', 'release_2.0', 'v1.2'])('accepts %s', (branch) => expect(validateBranch(branch)).toBeNull());
  it.each(['-main', 'a..b', 'a//b', '/main', 'main/', 'x.lock', 'a b', 'HEAD@{1}', 'a~1', 'a^', 'a:b', '.hidden', 'main.', 'a\\b'])('refuses %j', (branch) =>
    expect(validateBranch(branch)).toMatch(/not a valid branch name/),
  );
});

describe('normaliseSubPath', () => {
  it.each([
    ['.', '.'],
    ['./', '.'],
    ['strategies/alpha', 'strategies/alpha'],
    ['strategies//alpha/', 'strategies/alpha'],
    ['./a/./b', 'a/b'],
    ['my bots/alpha', 'my bots/alpha'],
  ])('%j -> %j', (input, output) => expect(normaliseSubPath(input)).toEqual({ ok: true, path: output }));
  it.each(['/abs', '../up', 'a/../../up', '.git/hooks', 'a/.git', 'a\\b', 'a\u0000b', ':(top)x'])('refuses %j', (input) => expect(normaliseSubPath(input).ok).toBe(false));
});
