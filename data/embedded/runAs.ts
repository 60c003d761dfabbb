import { readFileSync } from 'node:fs';

export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/**
 * PostgreSQL refuses to run as root. When we are root, its processes run as the `postgres`
 * system user (Debian's packages create it), or `nobody` as a last resort.
 * Undefined when no switch is needed.
 */
export function serviceUserForPostgres(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'));
  for (const wanted of ['postgres', 'nobody']) {
    const entry = passwd.find((fields) => fields[0] === wanted);
    if (entry?.[2] !== undefined && entry[3] !== undefined) {
      return { name: wanted, uid: Number(entry[2]), gid: Number(entry[3]) };
    }
  }
  throw new Error('running as root, and neither a "postgres" nor a "nobody" user exists to run PostgreSQL as (it refuses root)');
}
