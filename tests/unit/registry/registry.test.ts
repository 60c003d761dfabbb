import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistryFile, parseRegistry, RegistryInvalidError } from '../../../registry/load.ts';

const projectRoot = path.resolve(import.meta.dirname, '../../..');

const minimal = `competition:
  name: Test
  universe: [SPY]
teams:
  - id: alpha
    name: Alpha
    repo: https://example.org/alpha.git
`;

describe('team registry', () => {
  it('accepts the starter team_registry.yaml shipped with the project', async () => {
    const registry = await loadRegistryFile(path.join(projectRoot, 'team_registry.yaml'));
    expect(registry.competition.startingCash).toBe(100_000);
    expect(registry.competition.limits).toEqual({ cpuMs: 200, memoryMb: 64 });
  });

  it('fills defaults for a minimal file', () => {
    const result = parseRegistry(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.registry.teams[0]).toMatchObject({ id: 'alpha', branch: 'main', path: '.', enabled: true, params: {} });
    expect(result.registry.competition.marketData).toEqual({ source: 'simulator' });
  });

  it('points a wrong value at its line and column', () => {
    const result = parseRegistry(minimal.replace('id: alpha', 'id: Alpha Team'));
    expect(result).toEqual({
      ok: false,
      errors: [{ path: 'teams[0].id', line: 5, column: 9, message: 'a slug of 2-32 characters: lower-case letters, digits and dashes' }],
    });
  });

  it('rejects unknown keys, so a typo never falls back to a default', () => {
    const result = parseRegistry(minimal.replace('    name: Alpha', '    name: Alpha\n    enabeld: false'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ path: 'teams[0]', line: 5 });
    expect(result.errors[0]?.message).toMatch(/enabeld/);
  });

  it('rejects a duplicate team id, naming the first one', () => {
    const twice = `${minimal}  - id: alpha\n    name: Again\n    repo: /srv/again\n`;
    const result = parseRegistry(twice);
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'teams[1].id', line: 8, message: 'team id "alpha" is already used by teams[0]' }] });
  });

  // Valid YAML and valid by the schema, but Postgres refuses it: the sync used to fail with
  // "unsupported Unicode escape sequence" at line 0.
  it.each([
    ['a NUL in a name', 'name: Alpha', 'name: "Al\\0pha"', 'teams[0].name', 6, 11],
    ['an unpaired surrogate in a param', 'name: Alpha', 'name: Alpha\n    params: { note: "a\\uD800b" }', 'teams[0].params.note', 7, 21],
    ['a NUL in a key (shown storable)', 'name: Alpha', 'name: Alpha\n    params: { "k\\0": 1 }', 'teams[0].params.k\uFFFD', 7, 22],
    ['a NUL deep in a list', 'universe: [SPY]', 'universe: [SPY, "S\\0"]', 'competition.universe[1]', 3, 19],
  ])('refuses text Postgres cannot store (%s) at its line and column', (_what, from, to, where, line, column) => {
    expect(parseRegistry(minimal.replace(from, to))).toEqual({
      ok: false,
      errors: [{ path: where, line, column, message: 'must not contain a NUL character or an unpaired surrogate' }],
    });
  });

  it('reports a missing field where its parent is', () => {
    const result = parseRegistry('competition:\n  universe: [SPY]\n');
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'competition.name', line: 2, column: 3 }] });
  });

  it('reports YAML syntax errors with their position', () => {
    const result = parseRegistry('competition:\n  name: [unclosed\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]?.line).toBeGreaterThanOrEqual(2);
    expect(result.errors[0]?.path).toBe('');
  });

  it('requires a replay file for replay market data', () => {
    const result = parseRegistry(minimal.replace('  universe: [SPY]', '  universe: [SPY]\n  marketData: { source: replay }'));
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'competition.marketData.replayFile' }] });
  });

  it('throws a readable error for an invalid file', async () => {
    await expect(loadRegistryFile(path.join(projectRoot, 'package.json'))).rejects.toBeInstanceOf(RegistryInvalidError);
  });
});
