/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (never in pipes, CI logs
 * or `--json` captures), redrawn at most once per percent so it costs nothing in the loop.
 */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, finish: () => undefined };
const WIDTH = 30;

export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true || total <= 0) return NO_PROGRESS;
  let lastPercent = -1;
  let drawn = false;
  return {
    update(done: number): void {
      const percent = Math.min(100, Math.floor((done / total) * 100));
      if (percent === lastPercent) return;
      lastPercent = percent;
      const filled = Math.round((percent / 100) * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${String(done)}/${String(total)} minutes`);
      drawn = true;
    },
    finish(): void {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
