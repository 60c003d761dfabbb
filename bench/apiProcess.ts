// Starts bench/apiHarness.ts as a child process and waits for its JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface HarnessInfo {
  url: string;
  redisUrl: string;
  activityStream: string;
  teams: number;
}

export async function startHarness(env: Record<string, string> = {}): Promise<{ info: HarnessInfo; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'apiHarness.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const info = await new Promise<HarnessInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API harness did not start within 120 s')), 120_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as HarnessInfo);
    });
    child.once('exit', (code) => reject(new Error(`the API harness exited with code ${String(code)}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { info, child, stop };
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
