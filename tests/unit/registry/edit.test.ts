import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { editRegistryText } from '../../../registry/edit.ts';

// The shipped registry with its demo teams taken out: a commented file whose last line is `teams: []`.
const shipped = readFileSync(path.resolve(import.meta.dirname, '../../../team_registry.yaml'), 'utf8');
const starter = `${shipped.slice(0, shipped.indexOf('\nteams:\n'))}\nteams: []\n`;

const withTeams = `# header comment
competition:
  name: Cup            # aligned comment
  universe: [ SPY ]
teams:   # the teams
  - id: alpha          # first
    name: Alpha
    repo: https://git.example.org/alpha.git
    limits:
      cpuMs: 300
  # a comment between teams
  - { id: beta, name: Beta, repo: /srv/beta }
  - id: gamma
    name: Gamma
    repo: /srv/gamma
    enabled: true      # keep me
# trailing comment
`;

function ok(result: ReturnType<typeof editRegistryText>): string {
  if (!result.ok) throw new Error(result.message);
  return result.text;
}

describe('registry edits keep the file as the user wrote it', () => {
  it('adds the first team to a file with `teams: []`, changing nothing else', () => {
    const text = ok(
      editRegistryText(starter, { kind: 'add-team', team: { id: 'momentum', name: 'Momentum Crew', repo: 'https://git.example.org/m.git', params: { lookback: 20 } } }),
    );
    const before = starter.split('\n');
    const after = text.split('\n');
    // Every line but `teams: []` is untouched, comments and alignment included.
    expect(after.slice(0, before.length - 2)).toEqual(before.slice(0, -2));
    expect(text.endsWith('teams:\n  - id: momentum\n    name: Momentum Crew\n    repo: https://git.example.org/m.git\n    params: { lookback: 20 }\n')).toBe(true);
  });

  it('appends a team at the indentation of the existing ones', () => {
    const text = ok(editRegistryText(withTeams, { kind: 'add-team', team: { id: 'delta', name: 'Delta: the "fourth"', repo: '/srv/delta', enabled: false } }));
    expect(text).toBe(
      withTeams.replace('# trailing comment\n', '  - id: delta\n    name: \'Delta: the "fourth"\'\n    repo: /srv/delta\n    enabled: false\n# trailing comment\n'),
    );
  });

  it('disables and enables teams in block and flow style, keeping comments', () => {
    const disabledAlpha = ok(editRegistryText(withTeams, { kind: 'set-enabled', teamId: 'alpha', enabled: false }));
    expect(disabledAlpha).toBe(withTeams.replace('      cpuMs: 300\n', '      cpuMs: 300\n    enabled: false\n'));
    const disabledBeta = ok(editRegistryText(withTeams, { kind: 'set-enabled', teamId: 'beta', enabled: false }));
    expect(disabledBeta).toBe(withTeams.replace('repo: /srv/beta }', 'repo: /srv/beta, enabled: false }'));
    const disabledGamma = ok(editRegistryText(withTeams, { kind: 'set-enabled', teamId: 'gamma', enabled: false }));
    expect(disabledGamma).toBe(withTeams.replace('enabled: true      # keep me', 'enabled: false      # keep me'));
    const again = editRegistryText(withTeams, { kind: 'set-enabled', teamId: 'gamma', enabled: true });
    expect(again).toMatchObject({ ok: true, changed: false, text: withTeams });
  });

  it('works on a file without a final newline', () => {
    const text = ok(editRegistryText(withTeams.replace('# trailing comment\n', '').trimEnd(), { kind: 'set-enabled', teamId: 'gamma', enabled: false }));
    expect(text).toContain('enabled: false      # keep me');
    const added = ok(
      editRegistryText('competition:\n  name: C\n  universe: [SPY]\nteams:\n  - id: aa\n    name: A\n    repo: /a', {
        kind: 'add-team',
        team: { id: 'bb', name: 'B', repo: '/b' },
      }),
    );
    expect(added).toBe('competition:\n  name: C\n  universe: [SPY]\nteams:\n  - id: aa\n    name: A\n    repo: /a\n  - id: bb\n    name: B\n    repo: /b\n');
  });

  it('refuses an edit that would make the file invalid, and says why', () => {
    const result = editRegistryText(withTeams, { kind: 'add-team', team: { id: 'Bad Id', name: 'X', repo: '/x' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^the edit would make the registry invalid, so the file was not changed: 17:9 teams\[3\]\.id: a slug/);
  });

  it('refuses duplicates, unknown teams and an invalid file', () => {
    expect(editRegistryText(withTeams, { kind: 'add-team', team: { id: 'alpha', name: 'A', repo: '/a' } })).toMatchObject({
      ok: false,
      message: 'team "alpha" is already in the registry',
    });
    expect(editRegistryText(withTeams, { kind: 'set-enabled', teamId: 'zeta', enabled: false })).toMatchObject({ ok: false, message: 'no team "zeta" in the registry' });
    const broken = editRegistryText(withTeams.replace('name: Cup', 'name: [Cup'), { kind: 'set-enabled', teamId: 'alpha', enabled: false });
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.message).toMatch(/^the registry is invalid now, fix it first: \d+:\d+/);
  });

  it('adds a teams list when the file has none', () => {
    const text = ok(editRegistryText('competition:\n  name: C\n  universe: [SPY]\n', { kind: 'add-team', team: { id: 'aa', name: 'A', repo: '/a' } }));
    expect(text).toBe('competition:\n  name: C\n  universe: [SPY]\nteams:\n  - id: aa\n    name: A\n    repo: /a\n');
  });
});
