import { describe, expect, it } from 'vitest';
import { editRegistryText } from '../../../registry/edit.ts';
import { parseRegistry } from '../../../registry/load.ts';

/** `qtc admin teams remove`: the team's lines go, every other byte of the file stays. */

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
  - { id: beta, name: Beta, repo: /srv/beta }   # flow entry
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

const ids = (text: string) => {
  const parsed = parseRegistry(text);
  if (!parsed.ok) throw new Error('invalid');
  return parsed.registry.teams.map((team) => team.id);
};

describe('removing a team from the registry text', () => {
  it('removes a block entry, keeping the comments around it', () => {
    const text = ok(editRegistryText(withTeams, { kind: 'remove-team', teamId: 'alpha' }));
    expect(text).toBe(withTeams.replace('  - id: alpha          # first\n    name: Alpha\n    repo: https://git.example.org/alpha.git\n    limits:\n      cpuMs: 300\n', ''));
    expect(ids(text)).toEqual(['beta', 'gamma']);
  });

  it('removes a flow entry with its line comment, and the last entry of the list', () => {
    const withoutBeta = ok(editRegistryText(withTeams, { kind: 'remove-team', teamId: 'beta' }));
    expect(withoutBeta).toBe(withTeams.replace('  - { id: beta, name: Beta, repo: /srv/beta }   # flow entry\n', ''));
    const withoutGamma = ok(editRegistryText(withTeams, { kind: 'remove-team', teamId: 'gamma' }));
    expect(withoutGamma).toBe(withTeams.replace('  - id: gamma\n    name: Gamma\n    repo: /srv/gamma\n    enabled: true      # keep me\n', ''));
    expect(ids(withoutGamma)).toEqual(['alpha', 'beta']);
  });

  it('leaves `teams: []` when the only team goes, so the file stays valid', () => {
    const one = 'competition:\n  name: Cup\n  universe: [SPY]\nteams:\n  - id: solo\n    name: Solo\n    repo: https://git.example.org/solo.git\n';
    const text = ok(editRegistryText(one, { kind: 'remove-team', teamId: 'solo' }));
    expect(text).toBe('competition:\n  name: Cup\n  universe: [SPY]\nteams: []\n');
    expect(ids(text)).toEqual([]);
  });

  it('refuses an unknown team and a flow list, changing nothing', () => {
    expect(editRegistryText(withTeams, { kind: 'remove-team', teamId: 'nobody' })).toMatchObject({ ok: false, message: 'no team "nobody" in the registry' });
    const flow = 'competition:\n  name: Cup\n  universe: [SPY]\nteams: [{ id: a1, name: A, repo: /srv/a }]\n';
    expect(editRegistryText(flow, { kind: 'remove-team', teamId: 'a1' })).toMatchObject({ ok: false, message: expect.stringContaining('flow list') as unknown });
  });
});
