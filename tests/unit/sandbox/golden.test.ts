// The lean call path into the isolate must not change what any strategy sees or returns: the
// outputs of `qtc backtest` (in-process isolates) and of a pool of child processes (the live
// server's mode) are compared byte for byte with fixtures recorded from the code before it
// (tests/unit/sandbox/golden.record.ts). Cases whose real bars are absent are skipped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCases, goldenDir, inProcessPoolRun } from './golden.ts';

const fixture = (name: string): string => readFileSync(path.join(goldenDir, name), 'utf8');

describe('golden outputs of the sandbox call path', () => {
  for (const golden of goldenCases) {
    it.skipIf(!golden.available)(
      `${golden.name} is byte-identical to the recorded output`,
      async () => {
        const output = await golden.run();
        // Compared as text: a difference in the last digit of a number or in a key's order fails.
        expect(output === fixture(golden.name), `${golden.name} differs from its fixture`).toBe(true);
      },
      180_000,
    );
  }

  it('the in-process pool gives what the child processes gave', async () => {
    expect((await inProcessPoolRun()) === fixture('pool-processes.jsonl')).toBe(true);
  }, 180_000);
});
