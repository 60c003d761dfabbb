// Writes the golden fixtures (tests/unit/sandbox/fixtures/golden) from the code as it is now.
// Run only on a revision whose outputs are the reference:
//   npx node --no-node-snapshot tests/unit/sandbox/golden.record.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { goldenCases, goldenDir } from './golden.ts';

for (const golden of goldenCases) {
  if (!golden.available) {
    console.log(`skipped ${golden.name}: its input data is absent`);
    continue;
  }
  writeFileSync(path.join(goldenDir, golden.name), await golden.run());
  console.log(`wrote ${golden.name}`);
}
