import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryWatcher } from '../../../registry/watch.ts';
import { silentLog } from '../../support/silentLog.ts';
import { ADMIN_KEY, bearer, registryText, startHarness, type Harness } from '../auth/support.ts';

interface StatusBody {
  file: string;
  loadedAt: string;
  teams: number;
  lastError: null | { at: string; errors: Array<{ path: string; line: number; column: number; message: string }> };
}

describe('team registry hot reload (real Postgres)', () => {
  let h: Harness;
  let stopWatcher: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await stopWatcher?.();
    stopWatcher = undefined;
  });
  afterAll(async () => {
    await h.close();
  });

  /** As editors and `qtc admin` save: a temporary file renamed over the old one. */
  function saveAtomically(text: string): void {
    writeFileSync(`${h.registryFile}.tmp`, text);
    renameSync(`${h.registryFile}.tmp`, h.registryFile);
  }

  async function adminStatus(): Promise<StatusBody> {
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/admin/registry', headers: bearer(ADMIN_KEY) });
    expect(response.statusCode).toBe(200);
    return response.json<StatusBody>();
  }

  async function teamRows(): Promise<Array<{ id: string; removed: boolean; enabled: boolean }>> {
    const { rows } = await h.pool.query<{ id: string; removed: boolean; enabled: boolean }>('SELECT id, removed_at IS NOT NULL AS removed, enabled FROM teams ORDER BY id');
    return rows;
  }

  it('reloads on change, keeps the last good registry through a broken edit, and syncs the teams', async () => {
    stopWatcher = startRegistryWatcher(h.registry, { log: silentLog, debounceMs: 50, pollMs: 200 });
    expect(await adminStatus()).toMatchObject({ file: h.registryFile, teams: 2, lastError: null });

    saveAtomically(registryText([{ id: 'alpha' }, { id: 'beta' }, { id: 'gamma' }]));
    await expect.poll(() => h.registry.status().teams, { timeout: 10_000 }).toBe(3);
    expect(await teamRows()).toEqual([
      { id: 'alpha', removed: false, enabled: true },
      { id: 'beta', removed: false, enabled: true },
      { id: 'gamma', removed: false, enabled: true },
    ]);

    // A broken edit in place: a bad id on the third team's `- id:` line (13).
    const broken = registryText([{ id: 'alpha' }, { id: 'beta' }, { id: 'Gamma Team' }]);
    writeFileSync(h.registryFile, broken);
    await expect.poll(() => h.registry.status().lastError, { timeout: 10_000 }).not.toBeNull();
    const status = await adminStatus();
    expect(status.teams).toBe(3);
    expect(status.lastError?.errors).toEqual([{ path: 'teams[2].id', line: 13, column: 9, message: 'a slug of 2-32 characters: lower-case letters, digits and dashes' }]);
    expect(h.registry.current().teams.map((team) => team.id)).toEqual(['alpha', 'beta', 'gamma']);
    const rejected = await h.pool.query("SELECT subject FROM audit_events WHERE kind = 'registry.rejected'");
    expect(rejected.rowCount).toBeGreaterThanOrEqual(1);

    // A YAML syntax error is kept out the same way.
    writeFileSync(h.registryFile, 'competition:\n  name: [unclosed\n');
    await expect.poll(() => h.registry.status().lastError?.errors[0]?.path, { timeout: 10_000 }).toBe('');
    expect(h.registry.status().teams).toBe(3);

    // The fix: beta disabled, gamma removed.
    saveAtomically(registryText([{ id: 'alpha' }, { id: 'beta', enabled: false }]));
    await expect.poll(() => h.registry.status().lastError, { timeout: 10_000 }).toBeNull();
    expect(h.registry.status().teams).toBe(2);
    expect(await teamRows()).toEqual([
      { id: 'alpha', removed: false, enabled: true },
      { id: 'beta', removed: false, enabled: false },
      { id: 'gamma', removed: true, enabled: true },
    ]);
    const loaded = await h.pool.query<{ details: { trigger: string; activation: { removed: string[]; updated: string[] } } }>(
      "SELECT details FROM audit_events WHERE kind = 'registry.loaded' ORDER BY id DESC LIMIT 1",
    );
    expect(loaded.rows[0]?.details.activation).toMatchObject({ removed: ['gamma'], updated: ['beta'] });
  });

  it('notices a change by the periodic check alone', async () => {
    // A debounce far longer than the test: only the poll can bring the change in.
    stopWatcher = startRegistryWatcher(h.registry, { log: silentLog, debounceMs: 3_600_000, pollMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    saveAtomically(registryText([{ id: 'alpha' }, { id: 'beta' }, { id: 'delta' }]));
    await expect.poll(() => h.registry.current().teams.map((team) => team.id), { timeout: 10_000 }).toContain('delta');
  });

  it('POST /api/v1/admin/registry/reload refuses an invalid file with its errors and keeps the registry', async () => {
    const before = h.registry.current();
    writeFileSync(h.registryFile, registryText([{ id: 'alpha' }]).replace('universe: [SPY, QQQ]', 'universe: []'));
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/admin/registry/reload', headers: bearer(ADMIN_KEY) });
    expect(response.statusCode).toBe(422);
    const body = response.json<{ error: string; message: string; registry: StatusBody }>();
    expect(body.error).toBe('registry_rejected');
    expect(body.message).toMatch(/^the registry in force stays: 3:\d+ competition.universe: the universe needs at least one symbol/);
    expect(body.registry.lastError?.errors[0]?.line).toBe(3);
    expect(h.registry.current()).toBe(before);

    saveAtomically(registryText([{ id: 'alpha' }, { id: 'beta' }]));
    const fixed = await h.app.inject({ method: 'POST', url: '/api/v1/admin/registry/reload', headers: bearer(ADMIN_KEY) });
    expect(fixed.statusCode).toBe(200);
    expect(fixed.json()).toMatchObject({ outcome: 'loaded', registry: { teams: 2, lastError: null } });
  });
});
