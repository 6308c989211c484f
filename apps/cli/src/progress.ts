/**
 * Progress for long work, on standard error and only when it is a terminal: pipes and CI logs
 * stay clean, and standard output only ever carries results.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = performance.now();
  private active = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
    this.enabled = stream.isTTY === true;
  }

  private readonly stream: NodeJS.WriteStream;

  /** Replaces the current status line. */
  update(message: string): void {
    if (!this.enabled) return;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K${message} (${seconds} s)`);
    this.active = true;
  }

  /** Clears the status line. */
  done(): void {
    if (this.enabled && this.active) this.stream.write('\r\x1b[2K');
    this.active = false;
  }
}
