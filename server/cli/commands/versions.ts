import os from 'node:os';
import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

/** `qtc versions list <team>` and `qtc versions rollback <team> <sha|#id>`: a team's strategy history in Postgres. */

interface ListOptions {
  json?: boolean;
  limit?: string;
}

function actor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

const when = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

async function listCommand(team: string, options: ListOptions): Promise<void> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
  const [{ loadConfig }, { withAdminDatabase }, { listVersions }, { readSyncState }] = await Promise.all([
    import('../../config/config.ts'),
    import('./adminDatabase.ts'),
    import('../../../loaders/activation/versionStore.ts'),
    import('../../../loaders/git/syncState.ts'),
  ]);
  const { versions, sync } = await withAdminDatabase(loadConfig(), async (pool) => ({ versions: await listVersions(pool, team, limit), sync: await readSyncState(pool, team) }));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ team, sync, versions })}\n`);
    return;
  }
  const lines: string[] = [];
  if (sync === null) lines.push(`${team}: never synced`);
  else if (sync.error !== null) lines.push(`${team}: sync failing since ${when(sync.errorSince ?? sync.checkedAt)} (${sync.errorKind}, ${sync.failures}x): ${sync.error}`);
  else lines.push(`${team}: synced ${when(sync.checkedAt)}, branch head ${sync.headSha?.slice(0, 12) ?? '-'}`);
  if (versions.length === 0) lines.push('no versions yet');
  for (const version of versions) {
    const status = version.status === 'rejected' ? `rejected at ${version.rejectedAtStage ?? '?'}` : version.status;
    const subject = version.message.split('\n')[0] ?? '';
    lines.push(`#${version.id}  ${version.commitSha.slice(0, 12)}  ${status.padEnd(20)}  ${when(version.committedAt)}  ${version.authorName}  ${subject}`);
    for (const finding of version.findings) lines.push(`      ${finding.file ?? '-'}:${finding.line}:${finding.column}  ${finding.rule}  ${finding.message}`);
    if (version.error !== null) lines.push(...version.error.split('\n').map((line) => `      ${line}`));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function rollbackCommand(team: string, target: string): Promise<void> {
  const [{ loadConfig }, { withAdminDatabase }, { rollbackToVersion, VersionError }] = await Promise.all([
    import('../../config/config.ts'),
    import('./adminDatabase.ts'),
    import('../../../loaders/activation/versionStore.ts'),
  ]);
  const parsed = /^#(\d+)$/.exec(target);
  const choice = parsed ? { versionId: Number(parsed[1]) } : { sha: target };
  try {
    const version = await withAdminDatabase(loadConfig(), (pool) => rollbackToVersion(pool, team, choice, actor()));
    process.stdout.write(`${team} now runs #${version.id} ${version.commitSha.slice(0, 12)} (${version.message.split('\n')[0] ?? ''}) until the team pushes a new commit.\n`);
  } catch (error) {
    if (!(error instanceof VersionError)) throw error;
    process.stderr.write(`qtc: ${error.message}\n`);
    process.exitCode = 1;
  }
}

export function registerVersionsCommand(program: Command): void {
  const versions = program
    .command('versions')
    .description("a team's strategy versions: every commit evaluated, why rejected ones failed, and rollback (Postgres: DATABASE_URL or the embedded one)");
  versions
    .command('list')
    .description('newest first, with static-check findings and smoke-run errors, and the state of the last Git sync')
    .argument('<team>', 'team id')
    .option('--json', 'print {team, sync, versions}')
    .option('--limit <n>', 'how many versions (default 20)')
    .action((team: string, options: ListOptions) => listCommand(team, options).catch(reportFatal));
  versions
    .command('rollback')
    .description('make an earlier version that passed every stage active again; it stays until the team pushes a new commit')
    .argument('<team>', 'team id')
    .argument('<version>', 'commit SHA (or a unique prefix of at least 4 digits), or #<id> from `qtc versions list`')
    .action((team: string, target: string) => rollbackCommand(team, target).catch(reportFatal));
}
