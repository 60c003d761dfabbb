// Runs the `qtc` command line as its users do: its own Node process, from the project root, its output
// gathered whole (the tests read the JSON it prints).
import { spawn } from 'node:child_process';
import path from 'node:path';

const projectRoot = path.resolve(import.meta.dirname, '../..');

export interface QtcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `qtc <args…>`: resolves when the process exits, with its exit code and everything it printed. */
export function runQtc(args: readonly string[]): Promise<QtcResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
