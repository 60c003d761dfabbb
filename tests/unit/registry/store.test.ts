import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../data/postgres/audit.ts';
import { RegistryInvalidError } from '../../../registry/load.ts';
import type { Registry } from '../../../registry/schema.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const good = (teams: string[]) =>
  `competition:\n  name: Cup\n  universe: [SPY]\nteams:\n${teams.map((id) => `  - id: ${id}\n    name: ${id}\n    repo: /srv/${id}\n`).join('') || '  []\n'}`;

function recordingLog() {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (_: unknown, message?: string) => void lines.push({ level, message: message ?? '' });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } as never };
}

describe('RegistryStore', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir('qtc-registry-store-');
    file = path.join(temp.dir, 'team_registry.yaml');
  });
  afterEach(() => temp.remove());

  function store(options: { activate?: (registry: Registry) => Promise<unknown> } = {}) {
    const { lines, log } = recordingLog();
    const audits: AuditEvent[] = [];
    const now = { value: new Date('2025-07-08T14:00:00Z') };
    const registry = new RegistryStore({
      file,
      log,
      clock: () => now.value,
      audit: (event) => {
        audits.push(event);
        return Promise.resolve();
      },
      ...(options.activate ? { activate: options.activate } : {}),
    });
    return { registry, lines, audits, now };
  }

  it('refuses to start on an invalid file, with line and column', async () => {
    writeFileSync(file, good(['alpha']).replace('id: alpha', 'id: Alpha!'));
    const { registry } = store();
    const error = await registry.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryInvalidError);
    expect((error as RegistryInvalidError).errors[0]).toMatchObject({ path: 'teams[0].id', line: 5, column: 9 });
    expect(() => registry.current()).toThrow(/has not been loaded yet/);
  });

  it('keeps the last good registry through a bad edit, reports it once, and clears it when fixed', async () => {
    writeFileSync(file, good(['alpha']));
    const { registry, lines, audits, now } = store();
    const first = await registry.load();
    expect(registry.status()).toEqual({ file, loadedAt: now.value, teams: 1, lastError: null });

    writeFileSync(file, good(['alpha', 'beta']).replace('universe: [SPY]', 'universe: SPY'));
    now.value = new Date('2025-07-08T14:05:00Z');
    const outcome = await registry.reload('file-change');
    expect(outcome.result).toBe('failed');
    expect(registry.current()).toBe(first);
    expect(registry.status().lastError).toEqual({ at: now.value, errors: [expect.objectContaining({ path: 'competition.universe', line: 3 })] });
    // The periodic check sees the same broken file again: no new log line or audit event.
    await registry.reload('poll');
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(lines.find((line) => line.level === 'error')?.message).toMatch(/^team registry .* rejected: 3:\d+ competition.universe: /);
    expect(audits.map((event) => event.kind)).toEqual(['registry.loaded', 'registry.rejected']);

    // Put back exactly as it was: nothing to load, and the error is gone.
    writeFileSync(file, good(['alpha']));
    expect(await registry.reload('file-change')).toEqual({ result: 'unchanged' });
    expect(registry.status().lastError).toBeNull();
    // Audited, so the processes that read the rejection from the audit trail see it end too.
    expect(audits.map((event) => event.kind)).toEqual(['registry.loaded', 'registry.rejected', 'registry.restored']);
    await registry.reload('poll');
    expect(audits).toHaveLength(3);

    writeFileSync(file, good(['alpha', 'beta']));
    expect((await registry.reload('file-change')).result).toBe('loaded');
    expect(registry.current().teams.map((team) => team.id)).toEqual(['alpha', 'beta']);
  });

  it('does not bring a registry into force until its activation (the team sync) succeeds, and retries', async () => {
    writeFileSync(file, good(['alpha']));
    let failing = false;
    const activated: string[][] = [];
    const { registry } = store({
      activate: (next) => {
        if (failing) return Promise.reject(new Error('database down'));
        activated.push(next.teams.map((team) => team.id));
        return Promise.resolve({ added: next.teams.length });
      },
    });
    await registry.load();
    failing = true;
    writeFileSync(file, good(['alpha', 'beta']));
    const failed = await registry.reload('poll');
    expect(failed).toMatchObject({ result: 'failed', failure: { errors: [{ line: 0, message: expect.stringContaining('database down') as unknown }] } });
    expect(registry.current().teams).toHaveLength(1);
    failing = false;
    expect(await registry.reload('poll')).toMatchObject({ result: 'loaded', activation: { added: 2 } });
    expect(activated).toEqual([['alpha'], ['alpha', 'beta']]);
    expect(registry.status().lastError).toBeNull();
  });

  it('tells listeners about every new registry, serialising concurrent reloads', async () => {
    writeFileSync(file, good(['alpha']));
    const { registry } = store();
    await registry.load();
    const seen: Array<[string[], string[] | undefined]> = [];
    registry.subscribe((next, previous) => void seen.push([next.teams.map((t) => t.id), previous?.teams.map((t) => t.id)]));
    writeFileSync(file, good(['alpha', 'beta']));
    const outcomes = await Promise.all([registry.reload('file-change'), registry.reload('poll'), registry.reload('manual')]);
    expect(outcomes.map((o) => o.result)).toEqual(['loaded', 'unchanged', 'loaded']);
    expect(seen).toEqual([
      [['alpha', 'beta'], ['alpha']],
      [
        ['alpha', 'beta'],
        ['alpha', 'beta'],
      ],
    ]);
  });

  it('reports an unreadable file without losing the registry', async () => {
    writeFileSync(file, good(['alpha']));
    const { registry } = store();
    await registry.load();
    temp.remove();
    expect(await registry.reload('poll')).toMatchObject({ result: 'failed', failure: { errors: [{ line: 0, message: expect.stringContaining('ENOENT') as unknown }] } });
    expect(registry.current().teams).toHaveLength(1);
  });
});
