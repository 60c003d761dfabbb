import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceLog } from './log.ts';

const execFileAsync = promisify(execFile);

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian keeps PostgreSQL's server binaries off PATH, under /usr/lib/postgresql/<major>/bin. */
function debianPostgresBinDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((major) => `/usr/lib/postgresql/${major}/bin`);
  } catch {
    return [];
  }
}

export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...debianPostgresBinDirs(), '/usr/sbin', '/usr/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface BinarySource {
  binary: string;
  debianPackage: string;
  /** What to tell a user who must set the service up another way. */
  alternative: string;
}

const isRoot = () => process.getuid?.() === 0;

async function aptInstall(pkg: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileAsync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, timeout: 600_000 });
  try {
    await install();
  } catch {
    // A fresh machine often has no package lists yet; fetch them once and try again.
    await execFileAsync('apt-get', ['update'], { env, timeout: 600_000 });
    await install();
  }
}

/**
 * The path of a server binary; when missing, installs Debian's package if we are root,
 * otherwise fails with exactly what to install.
 */
export async function ensureBinary(source: BinarySource, log: ServiceLog): Promise<string> {
  const found = findBinary(source.binary);
  if (found) return found;
  const howTo = `install it with "sudo apt-get install ${source.debianPackage}" (Debian/Ubuntu), or ${source.alternative}`;
  if (!isRoot() || !findBinary('apt-get')) {
    throw new Error(`${source.binary} is not installed: ${howTo}`);
  }
  log.info({ package: source.debianPackage }, `${source.binary} not found; installing Debian package ${source.debianPackage}`);
  try {
    await aptInstall(source.debianPackage);
  } catch (error) {
    throw new Error(`${source.binary} is not installed and "apt-get install ${source.debianPackage}" failed (${(error as Error).message.split('\n')[0]}): ${howTo}`, {
      cause: error,
    });
  }
  const installed = findBinary(source.binary);
  if (!installed) throw new Error(`${source.binary} is still missing after installing ${source.debianPackage}: ${howTo}`);
  return installed;
}
