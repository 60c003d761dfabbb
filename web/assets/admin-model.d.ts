// Types of admin-model.js (plain JavaScript for the browser), for the unit tests.
export declare const SESSION_KEY: string;
export declare function decodeAdminSession(raw: unknown): { key: string } | null;
export declare function describeAdminFailure(status: number, message: string): string;
export declare function formatWhen(iso: unknown): string;
export declare function describeFinding(finding: unknown): string;
export declare function registryErrorLines(status: unknown): string[];
export declare function registryFacts(status: unknown): Array<[string, string]>;
export declare function teamRow(team: unknown): {
  id: string;
  name: string;
  tags: Array<{ tag: 'enabled' | 'disabled' | 'removed' | 'halted' | 'quarantined'; title: string }>;
  halted: boolean;
  removed: boolean;
  active: string;
  latest: string;
  problems: string[];
  keys: number;
  lastRun: string;
} | null;
export declare function competitionState(status: unknown): { halted: boolean; text: string };
export declare function keyRow(key: unknown): { keyId: string; status: string; created: string; lastUsed: string; canRotate: boolean; canRevoke: boolean } | null;
export declare function versionRow(version: unknown): { id: number; title: string; meta: string; status: string; findings: string[]; error: string; canRollBack: boolean } | null;
export declare function syncResultLines(payload: unknown): string[];
export declare function reconciliationView(payload: unknown): { summary: string; discrepancies: string[]; unattributed: string[]; audit: string[] | null };
export declare function tickRow(tick: unknown): { minute: string; status: string; attempts: string; teams: string; totalMs: string; errors: string } | null;
