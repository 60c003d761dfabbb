import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What an embedded service keeps between runs: its port (so URLs stay stable), its password,
 * and which qtc process owns the running server (so a later run can tell a live owner from an orphan).
 */
const ServiceStateSchema = z.object({
  port: z.number().int().positive().optional(),
  password: z.string().min(16),
  ownerPid: z.number().int().positive().optional(),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

export class ServiceStateFile {
  readonly file: string;
  constructor(dataDir: string, service: string) {
    this.file = path.join(dataDir, `${service}.json`);
  }

  /** The stored state, or a fresh one (new password, no port) on first use. */
  read(): ServiceState {
    return this.readExisting() ?? { password: randomBytes(24).toString('hex') };
  }

  /** The stored state; undefined when no qtc process has ever run the service in this folder. */
  readExisting(): ServiceState | undefined {
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = ServiceStateSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`${this.file} is damaged (${parsed.error.issues[0]?.message}); delete it to start afresh`);
    return parsed.data;
  }

  /** Written atomically and readable only by us: it holds a password. */
  write(state: ServiceState): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
