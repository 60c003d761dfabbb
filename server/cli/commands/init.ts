/**
 * `qtc init <dir>`: a strategy repository ready for the loop check → backtest → push: a working
 * `strategy.ts`, the SDK's types for editors and `qtc check` (types/), a tsconfig.json, a README, a
 * package.json whose scripts run `qtc check` and `qtc backtest`, and a .gitignore. `qtc` (and the
 * Node.js it needs) are linked into the repository's node_modules/.bin from this installation, so
 * `npx qtc check .` and `npm run check` work at once, offline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { SANDBOX_GLOBALS, SDK_TYPES_FILE } from '../typecheck/typeCheck.ts';
import { reportFatal } from '../fatal.ts';

/** The qtc installation this command runs from (its package.json's folder). */
const QTC_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

export class InitError extends Error {}

const STRATEGY = `/**
 * A moving-average crossover to start from: buy a symbol when its fast simple moving average
 * crosses above the slow one, sell the whole position when it crosses back below.
 *
 * Params (team_registry.yaml, all optional): fast 10, slow 30, allocation 0.2 (of equity per buy).
 *
 * The loop: npm run check (static and type check), npm run backtest (report.html), then commit and
 * push; the server checks, bundles and smoke-runs every new commit before it trades.
 */
import { crossover, crossunder, sma, smaSeries } from 'qtc';
import type { Bars, Signal, Team } from 'qtc';

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

export default class Strategy {
  private readonly fast: number;
  private readonly slow: number;
  private readonly allocation: number;

  constructor(params: Record<string, unknown>) {
    this.fast = positiveInteger(params.fast, 10);
    this.slow = Math.max(this.fast + 1, positiveInteger(params.slow, 30));
    this.allocation = typeof params.allocation === 'number' && params.allocation > 0 && params.allocation <= 1 ? params.allocation : 0.2;
  }

  generateSignal(team: Team, bars: Bars, currentPrices: Readonly<Record<string, number>>): Signal[] {
    const signals: Signal[] = [];
    let cashLeft = team.cash;
    for (const symbol of Object.keys(bars).sort()) {
      const close = bars[symbol]?.close;
      const price = currentPrices[symbol];
      if (close === undefined || price === undefined || close.length < this.slow + 1) continue;
      const fast = smaSeries(close, this.fast);
      const slow = smaSeries(close, this.slow);
      const held = team.positions[symbol]?.quantity ?? 0;
      if (held === 0 && crossover(fast, slow)) {
        // A market buy must leave 5% of its price in cash (it may fill that much higher at the next open).
        const quantity = Math.floor((Math.min(cashLeft, team.equity * this.allocation) * 0.95) / price);
        if (quantity < 1) continue;
        cashLeft -= quantity * price * 1.05;
        console.log(\`\${symbol}: SMA\${this.fast} \${sma(close, this.fast)?.toFixed(2)} crossed above SMA\${this.slow}\`);
        signals.push({ symbol, action: 'buy', quantity, reason: \`SMA\${this.fast} crossed above SMA\${this.slow}\` });
      } else if (held > 0 && crossunder(fast, slow)) {
        signals.push({ symbol, action: 'sell', quantity: held, reason: \`SMA\${this.fast} crossed below SMA\${this.slow}\` });
      }
    }
    return signals;
  }
}
`;

const TSCONFIG = `{
  // For editors and \`npm run typecheck\`: the strategy's code with 'qtc' resolved to the SDK's types
  // (types/qtc.d.ts) and the sandbox's globals (types/sandbox.d.ts): ES2023, console, no DOM, no
  // Node.js. \`qtc check\` runs the same check. The server bundles the strategy itself; nothing is emitted.
  "compilerOptions": {
    "target": "es2023",
    "lib": ["es2023"],
    "module": "preserve",
    "moduleResolution": "bundler",
    "types": [],
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "noEmit": true,
    "allowImportingTsExtensions": true,
    "verbatimModuleSyntax": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "paths": { "qtc": ["./types/qtc.d.ts"] }
  },
  "include": ["./**/*.ts"],
  "exclude": ["node_modules"]
}
`;

const GITIGNORE = `node_modules/
report*.html
results/
`;

function readme(name: string): string {
  return `# ${name}

A trading strategy for a QTC competition. Every market minute the server calls
\`generateSignal(team, bars, currentPrices)\` of the class \`strategy.ts\` exports by default, in a
sandbox (V8 isolate: 200 ms CPU and 64 MB per call by default, no timers, network or filesystem).

| file | what |
|---|---|
| \`strategy.ts\` | the strategy (its entry; other \`.ts\` files it imports may sit beside it) |
| \`types/qtc.d.ts\` | the SDK's types: \`Team\`, \`Bars\`, \`Signal\` and the \`'qtc'\` library (\`sma\`, \`ema\`, \`rsi\`, \`crossover\`, …) |
| \`types/sandbox.d.ts\` | what the sandbox adds to the language (\`console\`, captured and shown on your dashboard) |
| \`tsconfig.json\` | editor settings: \`'qtc'\` resolves to \`types/qtc.d.ts\` |

## The loop

\`\`\`sh
npm run check       # qtc check .: the server's static check, plus a type check against the SDK types
npm run backtest    # qtc backtest . --synthetic --report report.html: 5 simulated days, then open report.html
git add -A && git commit -m "first strategy" && git push
\`\`\`

The same without npm: \`npx qtc check .\` and \`npx qtc backtest . --synthetic --report report.html\`
(\`--data bars.csv\` for recorded bars, \`--days\`, \`--symbols\`, \`--seed\`; \`npx qtc backtest --help\`).
\`qtc check\` exits 0 when clean and 1 with findings, each at \`file:line:column\`.

Pushing to the branch your team's entry of the competition's \`team_registry.yaml\` names makes the
server fetch the commit, check it, bundle it and run it once on sample bars; only then does it
replace your running version. Your dashboard (\`/team\` on the server, with your team key) shows the
version, or why a commit was refused, the moment it is decided.

\`node_modules/\` links \`qtc\` from the installation that made this folder (\`qtc init\`); on another
machine, \`npm install\` links it again from the path in \`package.json\`.
`;
}

function packageJson(name: string, qtcRoot: string, dir: string, rootPackage: { dependencies?: Record<string, string> }): string {
  const relative = path.relative(dir, qtcRoot).split(path.sep).join('/') || '.';
  const pinned = (dependency: string): Record<string, string> => {
    const version = rootPackage.dependencies?.[dependency];
    return version === undefined ? {} : { [dependency]: version };
  };
  return `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      private: true,
      description: 'A strategy for a QTC competition',
      type: 'module',
      scripts: {
        check: 'qtc check .',
        backtest: 'qtc backtest . --synthetic --report report.html',
        typecheck: 'tsc -p .',
      },
      devDependencies: { qtc: `file:${relative}`, ...pinned('node'), ...pinned('typescript') },
    },
    null,
    2,
  )}\n`;
}

/** npm's rules for a package name, loosely: lower case, no spaces. */
function packageName(dir: string): string {
  return (
    path
      .basename(path.resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+/, '')
      .slice(0, 214) || 'strategy'
  );
}

async function link(target: string, at: string): Promise<void> {
  if (existsSync(at)) return;
  await symlink(target, at);
}

export interface InitResult {
  dir: string;
  files: string[];
  linked: boolean;
  git: boolean;
}

export async function initStrategyRepository(dir: string, options: { git?: boolean; link?: boolean } = {}): Promise<InitResult> {
  const target = path.resolve(dir);
  if (existsSync(target)) {
    const entries = await readdir(target);
    if (entries.length > 0) throw new InitError(`${dir} already exists and is not empty; give a new folder (qtc init never overwrites files)`);
  }
  await mkdir(path.join(target, 'types'), { recursive: true });
  const rootPackage = JSON.parse(await readFile(path.join(QTC_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const name = packageName(target);
  const sdk = await readFile(SDK_TYPES_FILE, 'utf8');
  const files: Array<[string, string]> = [
    ['strategy.ts', STRATEGY],
    ['types/qtc.d.ts', sdk],
    ['types/sandbox.d.ts', SANDBOX_GLOBALS],
    ['tsconfig.json', TSCONFIG],
    ['package.json', packageJson(name, QTC_ROOT, target, rootPackage)],
    ['README.md', readme(name)],
    ['.gitignore', GITIGNORE],
  ];
  for (const [file, text] of files) await writeFile(path.join(target, file), text, { flag: 'wx' });

  let linked = false;
  if (options.link !== false) {
    // What `npm install` would do for the file: dependency, plus the Node.js qtc needs, offline.
    const bin = path.join(target, 'node_modules', '.bin');
    await mkdir(bin, { recursive: true });
    await link(QTC_ROOT, path.join(target, 'node_modules', 'qtc'));
    await link(path.join('..', 'qtc', 'bin', 'qtc.js'), path.join(bin, 'qtc'));
    await link(await realpath(process.execPath), path.join(bin, 'node'));
    const tsc = path.join(QTC_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    if (existsSync(tsc)) await link(tsc, path.join(bin, 'tsc'));
    linked = true;
  }

  let git = false;
  if (options.git !== false) {
    try {
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', target], { stdio: 'ignore', timeout: 30_000 });
      git = true;
    } catch {
      // No git here: the folder works without it.
    }
  }
  return { dir: target, files: files.map(([file]) => file), linked, git };
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'create a strategy repository: strategy.ts, the SDK types (types/), tsconfig.json, README.md, package.json with check and backtest scripts, .gitignore; links qtc into its node_modules',
    )
    .argument('<dir>', 'new (or empty) folder')
    .option('--no-git', 'do not run git init')
    .option('--no-link', 'do not link qtc and its Node.js into node_modules (run npm install instead)')
    .action(async (dir: string, options: { git?: boolean; link?: boolean }) => {
      try {
        const result = await initStrategyRepository(dir, options);
        const shown = path.relative(process.cwd(), result.dir) || '.';
        process.stdout.write(
          `created ${shown}/: ${result.files.join(', ')}${result.git ? ' (a git repository)' : ''}\n\n` +
            `next:\n  cd ${shown}\n  npx qtc check .\n  npx qtc backtest . --synthetic --report report.html\n`,
        );
      } catch (error) {
        if (error instanceof InitError) {
          process.stderr.write(`qtc: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        reportFatal(error);
      }
    });
}
