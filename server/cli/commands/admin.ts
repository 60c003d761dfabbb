import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';
import type { TeamAddOptions } from './adminTeams.ts';

interface JsonOption {
  json?: boolean;
}

interface HaltCliOptions extends JsonOption {
  team?: string;
  reason?: string;
}

/** `qtc admin …`: teams (edits team_registry.yaml), API keys, halts and the state of the competition (in Postgres). */
export function registerAdminCommand(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage teams (edits team_registry.yaml, keeping its comments) and their API keys (in Postgres: DATABASE_URL, or the embedded one in QTC_DATA_DIR)');

  const teams = admin.command('teams').description('list, add, disable and enable teams in team_registry.yaml (QTC_REGISTRY_FILE)');
  teams
    .command('list')
    .description('the teams in the registry file')
    .option('--json', 'print [{id, name, enabled, repo, branch, path}]')
    .action(async (options: JsonOption) => {
      const { listTeamsCommand } = await import('./adminTeams.ts');
      await listTeamsCommand(options).catch(reportFatal);
    });
  teams
    .command('add')
    .description("add a team to the registry file (atomic write; the running server picks it up); the repository, branch and path must pass the server's Git sync checks")
    .argument('<id>', 'slug: 2-32 characters, a-z, 0-9 and dashes')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--repo <url-or-path>', 'Git URL (https or ssh) or an allow-listed local path')
    .option('--branch <branch>', 'branch to follow (default main)')
    .option('--path <dir>', 'strategy folder inside the repository (default .)')
    .option('--entry <file>', 'entry file inside that folder (default strategy.ts / strategy.js)')
    .option('--params <json>', 'JSON object passed to the strategy constructor')
    .option('--disabled', 'add the team disabled')
    .action(async (id: string, options: TeamAddOptions) => {
      const { addTeamCommand } = await import('./adminTeams.ts');
      await addTeamCommand(id, options).catch(reportFatal);
    });
  teams
    .command('remove')
    .description('take a team out of the registry file; the server marks it removed (never deletes it): its strategy stops and its keys stop working, its history stays')
    .argument('<id>', 'team id')
    .action(async (id: string) => {
      const { removeTeamCommand } = await import('./adminTeams.ts');
      await removeTeamCommand(id).catch(reportFatal);
    });
  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    teams
      .command(name)
      .description(`${name} a team in the registry file (its strategy ${enabled ? 'runs again' : 'stops running'}; its history stays)`)
      .argument('<id>', 'team id')
      .action(async (id: string) => {
        const { setTeamEnabledCommand } = await import('./adminTeams.ts');
        await setTeamEnabledCommand(id, enabled).catch(reportFatal);
      });
  }

  admin
    .command('urls')
    .description(
      "the DATABASE_URL and REDIS_URL (as shell exports) with which a qtc worker or qtc api on another machine reaches this machine's embedded Postgres and Redis; start qtc all with QTC_EMBEDDED_LISTEN=<address> so they listen there",
    )
    .requiredOption('--host <address>', 'the address of this machine the other machine reaches (one of QTC_EMBEDDED_LISTEN)')
    .action(async (options: { host: string }) => {
      const { urlsCommand } = await import('./adminUrls.ts');
      try {
        urlsCommand(options);
      } catch (error) {
        reportFatal(error);
      }
    });
  admin
    .command('status')
    .description('every team with its state (enabled, halted, quarantined), active version, Git sync and last error; and whether the competition is halted')
    .option('--json', 'print {competition: {halt}, teams: [...]} as GET /api/v1/admin/status does')
    .action(async (options: JsonOption) => {
      const { statusCommand } = await import('./adminOps.ts');
      await statusCommand(options).catch(reportFatal);
    });
  admin
    .command('halt')
    .description('halt the competition (no strategy runs, no order is sent) or one team (--team) from the next minute; audited')
    .option('--team <id>', 'halt only this team')
    .option('--reason <text>', 'why (recorded with the halt and shown to everyone)')
    .option('--json', 'print {changed, announced, halt: {reason, halted_at, halted_by}}')
    .action(async (options: HaltCliOptions) => {
      const { haltCommand } = await import('./adminOps.ts');
      await haltCommand(options).catch(reportFatal);
    });
  admin
    .command('resume')
    .description('resume the competition, or one team (--team), from the next minute; audited')
    .option('--team <id>', 'resume only this team')
    .option('--json', 'print {changed, announced, halt: null}')
    .action(async (options: { team?: string; json?: boolean }) => {
      const { resumeCommand } = await import('./adminOps.ts');
      await resumeCommand(options).catch(reportFatal);
    });
  admin
    .command('sync')
    .description(
      "fetch and evaluate a team's repository now (or every enabled team's), through the running server's Git sync; needs an admin key in QTC_ADMIN_KEY or QTC_ADMIN_KEYS",
    )
    .argument('[team]', 'only this team')
    .option('--server <url>', 'the running server (default http://HOST:PORT from the environment)')
    .option('--json', 'print {results: [{team_id, outcome, sha, …}]}')
    .action(async (team: string | undefined, options: { server?: string; json?: boolean }) => {
      const { syncCommand } = await import('./adminOps.ts');
      await syncCommand(team, options).catch(reportFatal);
    });
  admin
    .command('ticks')
    .description('the latest minutes, newest first: status, attempts, teams run and milliseconds per stage')
    .option('--limit <n>', 'how many minutes (default 20, at most 1000)')
    .option('--json', 'print {ticks: [...]} as GET /api/v1/admin/ticks does')
    .action(async (options: { limit?: string; json?: boolean }) => {
      const { ticksCommand } = await import('./adminOps.ts');
      await ticksCommand(options).catch(reportFatal);
    });
  admin
    .command('reconciliation')
    .description('the latest broker-versus-books reconciliation and the broker events attributed to no team')
    .option('--audit', 'also recompute every book from its fills and list the differences')
    .option('--json', 'print {report, unattributed, audit?} as GET /api/v1/admin/reconciliation does')
    .action(async (options: { audit?: boolean; json?: boolean }) => {
      const { reconciliationCommand } = await import('./adminOps.ts');
      await reconciliationCommand(options).catch(reportFatal);
    });

  const keys = admin.command('keys').description('issue, rotate, revoke and list team API keys');
  keys
    .command('issue')
    .description('issue a new API key for a team; the key is printed once (only its hash is stored)')
    .argument('<team>', 'team id')
    .option('--json', 'print {key, keyId, teamId}')
    .action(async (team: string, options: JsonOption) => {
      const { issueKeyCommand } = await import('./adminKeys.ts');
      await issueKeyCommand(team, options).catch(reportFatal);
    });
  keys
    .command('rotate')
    .description('replace a key with a new one (printed once); the old key keeps working for KEY_ROTATION_GRACE_MS')
    .argument('<keyId>', 'the 12-character key id (the part after qtc_team_)')
    .option('--json', 'print {key, keyId, teamId, previous: {keyId, expiresAt}}')
    .action(async (keyId: string, options: JsonOption) => {
      const { rotateKeyCommand } = await import('./adminKeys.ts');
      await rotateKeyCommand(keyId, options).catch(reportFatal);
    });
  keys
    .command('revoke')
    .description('stop a key at once')
    .argument('<keyId>', 'the 12-character key id')
    .action(async (keyId: string) => {
      const { revokeKeyCommand } = await import('./adminKeys.ts');
      await revokeKeyCommand(keyId).catch(reportFatal);
    });
  keys
    .command('list')
    .description('keys (never their secrets) with their status: active, grace, expired or revoked')
    .argument('[team]', 'only this team')
    .option('--json', 'print [{keyId, teamId, status, createdAt, expiresAt, revokedAt, replacedBy, lastUsedAt}]')
    .action(async (team: string | undefined, options: JsonOption) => {
      const { listKeysCommand } = await import('./adminKeys.ts');
      await listKeysCommand(team, options).catch(reportFatal);
    });
  keys
    .command('webhook-secret')
    .description("create or replace the secret of a team's Git webhook (printed once; paste it into the repository's webhook settings)")
    .argument('<team>', 'team id')
    .action(async (team: string) => {
      const { webhookSecretCommand } = await import('./adminKeys.ts');
      await webhookSecretCommand(team).catch(reportFatal);
    });
}
