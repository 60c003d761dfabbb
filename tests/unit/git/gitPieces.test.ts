import { describe, expect, it } from 'vitest';
import { describeSmokeFailure } from '../../../loaders/activation/evaluateStrategy.ts';
import { sampleMinutes, SAMPLE_START_MS } from '../../../loaders/activation/sampleBars.ts';
import { PerKeyCoalescer, Semaphore } from '../../../loaders/git/coalesce.ts';
import { isSafeRelativePath, parseCommitInfo, parseLsTree } from '../../../loaders/git/exportTree.ts';
import { classifyGitFailure, gitEnvironment, summariseGitOutput } from '../../../loaders/git/gitProcess.ts';
import { mirrorConfig } from '../../../loaders/git/mirror.ts';
import { FixedWindowLimiter } from '../../../loaders/git/rateLimit.ts';
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
    ['remote: Repository not found.\nfatal: repository \'https://github.com/a/b.git/\' not found', 'unreachable'],
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
    for (const line of ['hooksPath = /dev/null', 'fsmonitor = false', '[protocol]\n\tallow = never', '[protocol "ssh"]\n\tallow = always', '[protocol "ext"]\n\tallow = never', 'recurseSubmodules = false', 'fsckObjects = true', 'auto = 0']) {
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
    expect(parseCommitInfo(`${sha}\0Ada Team\0ada@example.org\x002025-03-04T05:06:07+01:00\0Subject\n\nBody line\n`)).toEqual({
      sha,
      authorName: 'Ada Team',
      authorEmail: 'ada@example.org',
      committedAt: new Date('2025-03-04T04:06:07Z'),
      message: 'Subject\n\nBody line',
    });
    expect(() => parseCommitInfo('nonsense')).toThrow(/unexpected git log output/);
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
