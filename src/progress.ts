import * as cliProgress from 'cli-progress';

/**
 * Progress of a long loop: a cli-progress bar on a terminal, else a plain line every
 * `intervalMs` (logs and CI stay readable).
 */
export class Progress {
  private bar?: cliProgress.SingleBar;
  private lastLine = 0;
  private readonly start = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled = true,
    private readonly intervalMs = 10000,
  ) {
    if (enabled && process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {percentage}% {value}/{total} {info}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { info: '' });
    }
    this.lastLine = this.start;
  }

  update(done: number, info = ''): void {
    if (!this.enabled) return;
    if (this.bar) {
      this.bar.update(done, { info });
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= this.intervalMs) {
      this.lastLine = now;
      process.stderr.write(`${this.label} ${done}/${this.total} ${info}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
