import { describe, expect, it } from 'vitest';
import { describeSmokeFailure } from '../../../loaders/activation/evaluateStrategy.ts';
import { sampleMinutes, SAMPLE_START_MS } from '../../../loaders/activation/sampleBars.ts';
import { PerKeyCoalescer, Semaphore } from '../../../loaders/git/coalesce.ts';
import { ExportRejection, isSafeRelativePath, NulRecordSplitter, parseCommitInfo, parseLsTree, parseLsTreeRecord, TreeBudget } from '../../../loaders/git/exportTree.ts';
import { classifyGitFailure, gitEnvironment, summariseGitOutput } from '../../../loaders/git/gitProcess.ts';
import { mirrorConfig } from '../../../loaders/git/mirror.ts';
import { FixedWindowLimiter } from '../../../loaders/git/rateLimit.ts';
import { GitSyncError, teamVisibleText } from '../../../loaders/git/syncError.ts';
import { signWebhookBody, verifyWebhookSignature } from '../../../loaders/git/webhookSignature.ts';

describe('gitEnvironment', () => {
  it('keeps only what git needs from the server environment and allows one transport', () => {
    const env = gitEnvironment('https', {
      PATH: '/usr/bin',
      HOME: '/home/qtc',
      SSH_AUTH_SOCK: '/run/agent',
      HTTPS_PROXY: 'http://proxy:3128',
      DATABASE_URL: 'postgres://secret',
      ALPACA_SECRET_KEY: 'secret',
      GIT_SSH_COMMAND: 'touch /tmp/x',
      GIT_CONFIG_GLOBAL: '/tmp/evil',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/qtc',
      SSH_AUTH_SOCK: '/run/agent',
      HTTPS_PROXY: 'http://proxy:3128',
      LC_ALL: 'C',
      LANG: 'C',
      GIT_ALLOW_PROTOCOL: 'https',
      GIT_TERMINAL_PROMPT: '0',
      GIT_LFS_SKIP_SMUDGE: '1',
      GIT_NO_REPLACE_OBJECTS: '1',
    });
  });

  it('allows no transport at all for local-only commands', () => {
    expect(gitEnvironment(null, {}).GIT_ALLOW_PROTOCOL).toBe('none');
  });
});

describe('classifyGitFailure', () => {
  it.each([
    ["fatal: couldn't find remote ref refs/heads/main", 'branch-missing'],
    ["fatal: '/srv/x.git' does not appear to be a git repository\nfatal: Could not read from remote repository.", 'unreachable'],
    ["remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' not found", 'unreachable'],
    ["fatal: unable to access 'https://nowhere.invalid/x.git/': Could not resolve host: nowhere.invalid", 'unreachable'],
    ["fatal: transport 'ext' not allowed", 'refused'],
    ['error: object file is empty', 'failed'],
  ])('%j is %s', (output, kind) => expect(classifyGitFailure(output)).toBe(kind));

  it('summarises without hints, on at most three lines', () => {
    expect(summariseGitOutput('hint: do this\nfatal: one\n\nfatal: two\nfatal: three\nfatal: four')).toBe('fatal: one fatal: two fatal: three');
    expect(summariseGitOutput('')).toBe('no output');
  });
});

describe('mirrorConfig', () => {
  it('turns off hooks, other transports, submodules and automatic maintenance, and checks what it receives', () => {
    const config = mirrorConfig('ssh');
    for (const line of [
      'hooksPath = /dev/null',
      'fsmonitor = false',
      '[protocol]\n\tallow = never',
      '[protocol "ssh"]\n\tallow = always',
      '[protocol "ext"]\n\tallow = never',
      'recurseSubmodules = false',
      'fsckObjects = true',
      'auto = 0',
    ]) {
      expect(config).toContain(line);
    }
    expect(config).not.toContain('[protocol "https"]');
    expect(config).not.toContain('[protocol "file"]');
  });
});

describe('ls-tree, paths and commit parsing', () => {
  it('parses ls-tree -r -l -z, submodules included', () => {
    const oid = 'a'.repeat(40);
    const output = `100644 blob ${oid}     120\tstrategy.ts\x00160000 commit ${'b'.repeat(40)}       -\tsub\x00120000 blob ${oid}      11\tlink.ts\x00100644 blob ${oid}       7\tmy dir/tab\there.ts\x00`;
    expect(parseLsTree(output)).toEqual([
      { mode: '100644', type: 'blob', oid, size: 120, path: 'strategy.ts' },
      { mode: '160000', type: 'commit', oid: 'b'.repeat(40), size: null, path: 'sub' },
      { mode: '120000', type: 'blob', oid, size: 11, path: 'link.ts' },
      { mode: '100644', type: 'blob', oid, size: 7, path: 'my dir/tab\there.ts' },
    ]);
    expect(() => parseLsTree('garbage\0')).toThrow(/unexpected ls-tree record/);
  });

  it.each([
    ['strategy.ts', true],
    ['lib/a.ts', true],
    ['.gitignore', true],
    ['../x', false],
    ['a/../../x', false],
    ['.git/config', false],
    ['a/.GIT/hooks', false],
    ['a//b', false],
    ['a\\b', false],
    ['a\u0001b', false],
    ['', false],
  ])('%j is safe to write: %s', (file, safe) => expect(isSafeRelativePath(file)).toBe(safe));

  it('parses commit metadata with a multi-line message', () => {
    const sha = 'c'.repeat(40);
    expect(parseCommitInfo(`${sha}\x002025-03-04T05:06:07+01:00\0Ada Team\0ada@example.org\0Subject\n\nBody line\n`)).toEqual({
      sha,
      authorName: 'Ada Team',
      authorEmail: 'ada@example.org',
      committedAt: new Date('2025-03-04T04:06:07Z'),
      message: 'Subject\n\nBody line',
    });
    expect(() => parseCommitInfo('nonsense')).toThrow(/unexpected git log output/);
  });

  it('keeps no NUL of a commit message and cuts overlong names', () => {
    const info = parseCommitInfo(`${'c'.repeat(40)}\x002025-03-04T05:06:07Z\0${'n'.repeat(1000)}\0e@x\0a\0b`);
    expect(info.message).toBe('a\ufffdb');
    expect(info.authorName).toHaveLength(256);
  });
});

describe('streamed ls-tree listing', () => {
  const oid = 'a'.repeat(40);
  const record = (mode: string, type: string, size: string, file: string) => `${mode} ${type} ${oid} ${size.padStart(7)}\t${file}\0`;
  const limits = { maxFiles: 3, maxBytes: 100, maxEntries: 6, maxDepth: 3, maxFileBytes: 60 };

  it('splits records however the stream is cut, holding at most one unfinished record', () => {
    const output = record('040000', 'tree', '-', 'lib') + record('100644', 'blob', '12', 'lib/a b.ts') + record('100644', 'blob', '7', 'strategy.ts');
    for (const size of [1, 2, 7, 64, 1000]) {
      const splitter = new NulRecordSplitter(200);
      const records: string[] = [];
      const bytes = Buffer.from(output);
      for (let at = 0; at < bytes.length; at += size) records.push(...splitter.push(bytes.subarray(at, at + size)));
      expect(splitter.unfinished).toBe(false);
      expect(records.map(parseLsTreeRecord)).toEqual(parseLsTree(output));
    }
    const splitter = new NulRecordSplitter(200);
    expect(() => splitter.push(Buffer.alloc(201, 0x61))).toThrow(ExportRejection);
    expect(() => new NulRecordSplitter(200).push(Buffer.from(`${'x'.repeat(250)}\0`))).toThrow(/longer than 200 bytes/);
  });

  it('stops at the first entry over a limit', () => {
    const admitAll = (records: string[]) => {
      const budget = new TreeBudget(limits);
      for (const text of records) budget.admit(parseLsTreeRecord(text.slice(0, -1)));
      return budget;
    };
    const ok = admitAll([record('040000', 'tree', '-', 'a'), record('100644', 'blob', '50', 'a/x.ts'), record('120000', 'blob', '3', 'l'), record('160000', 'commit', '-', 's')]);
    expect([ok.files.length, ok.bytes, ok.skipped]).toEqual([
      1,
      50,
      [
        { path: 'l', reason: 'symlink' },
        { path: 's', reason: 'submodule' },
      ],
    ]);
    expect(() => admitAll(Array.from({ length: 7 }, (_, i) => record('040000', 'tree', '-', `d${i}`)))).toThrow(/more than 6 entries/);
    expect(() => admitAll([record('040000', 'tree', '-', 'a/b/c/d')])).toThrow(/"a\/b\/c\/d" is 4 levels deep \(limit 3\)/);
    expect(() => admitAll([record('100644', 'blob', '61', 'big.ts')])).toThrow(/"big.ts" has 61 bytes \(limit 60 bytes per file\)/);
    expect(() => admitAll(['1', '2', '3', '4'].map((n) => record('100644', 'blob', '1', `${n}.ts`)))).toThrow(/more than 3 files/);
    expect(() => admitAll(['1', '2'].map((n) => record('100644', 'blob', '60', `${n}.ts`)))).toThrow(/take more than 100 bytes/);
    expect(() => admitAll([record('100644', 'blob', '1', '../x.ts')])).toThrow(/not allowed/);
  });
});

describe('teamVisibleText', () => {
  it('replaces NUL and control characters, keeps tabs and newlines, and clips', () => {
    expect(teamVisibleText('a\0b\u0007c\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
    expect(teamVisibleText('x'.repeat(600))).toBe(`${'x'.repeat(499)}\u2026`);
    expect(teamVisibleText('abc', 2)).toBe('a\u2026');
    expect(new GitSyncError('failed', `bad\0${'y'.repeat(1000)}`).message).toHaveLength(500);
    expect(new ExportRejection('the file "\0"').message).not.toContain('\0');
  });
});

describe('webhook signatures', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');

  it('matches the GitHub documentation example', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signWebhookBody("It's a Secret to Everybody", Buffer.from('Hello, World!'))).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('accepts only the exact signature of the exact body', () => {
    const signature = signWebhookBody('s3cret', body);
    expect(verifyWebhookSignature('s3cret', body, signature)).toBe(true);
    expect(verifyWebhookSignature('s3cret', body, signature.toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(verifyWebhookSignature('s3cret', body, undefined)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, '')).toBe(false);
    expect(verifyWebhookSignature('other', body, signature)).toBe(false);
    expect(verifyWebhookSignature('s3cret', Buffer.from(`${body.toString()} `), signature)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, signature.slice(7))).toBe(false);
  });
});

describe('FixedWindowLimiter', () => {
  it('allows max events per key and window, and says when to retry', () => {
    const limiter = new FixedWindowLimiter(2, 1_000);
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 10).allowed).toBe(true);
    expect(limiter.take('a', 400)).toEqual({ allowed: false, retryAfterMs: 600 });
    expect(limiter.take('b', 400).allowed).toBe(true);
    expect(limiter.take('a', 1_000).allowed).toBe(true);
  });
});

describe('PerKeyCoalescer', () => {
  it('runs one task per key at a time and folds requests during a run into one more run', async () => {
    const coalescer = new PerKeyCoalescer<number>();
    let runs = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      new Promise<number>((resolve) => {
        const run = ++runs;
        releases.push(() => resolve(run));
      });
    const first = coalescer.run('team', task);
    const second = coalescer.run('team', task);
    const third = coalescer.run('team', task);
    const other = coalescer.run('other', task);
    expect(second).toBe(third);
    expect(runs).toBe(2);
    releases.shift()!();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(3);
    releases.shift()!();
    releases.shift()!();
    expect(await other).toBe(2);
    expect(await second).toBe(3);
    await coalescer.idle();
  });

  it('queues after a failed run too', async () => {
    const coalescer = new PerKeyCoalescer<string>();
    const failing = coalescer.run('k', () => Promise.reject(new Error('boom')));
    const next = coalescer.run('k', () => Promise.resolve('ok'));
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('ok');
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit at once', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        semaphore.use(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

describe('smoke run pieces', () => {
  it('makes the same plausible bars every time, one minute apart', () => {
    const minutes = sampleMinutes(['SPY', 'QQQ'], 30);
    expect(sampleMinutes(['SPY', 'QQQ'], 30)).toEqual(minutes);
    expect(minutes[0]!.minute).toBe(SAMPLE_START_MS);
    expect(minutes[29]!.minute - minutes[0]!.minute).toBe(29 * 60_000);
    for (const { bars, prices } of minutes) {
      for (const symbol of ['SPY', 'QQQ']) {
        const bar = bars[symbol]!;
        expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
        expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
        expect(bar.low).toBeGreaterThan(0);
        expect(prices[symbol]).toBe(bar.close);
      }
    }
  });

  it('tells the team which call failed and how', () => {
    expect(describeSmokeFailure({ kind: 'timeout', message: 'Script execution timed out.' }, 2, 30)).toBe(
      'smoke run: the strategy ran out of time in generateSignal, call 3 of 30 on sample bars: Script execution timed out.',
    );
    expect(describeSmokeFailure({ kind: 'load', message: 'Error: bad', stack: 'at strategy.ts:3:5' }, null, 30)).toBe(
      'smoke run: the strategy failed to load while loading the strategy (evaluating it and running its constructor): Error: bad\nat strategy.ts:3:5',
    );
  });
});
