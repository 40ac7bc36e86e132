import type { Clock } from '../core/clock.ts';
import type { Logger } from './audit.ts';

/**
 * At most `perWindow` lines of one kind per window; what is held back is counted and said in
 * one line when the window ends. A flood of refused requests or dropped connections must not
 * flood the journal with a line each.
 */
export class LogLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** What the lines are about, for the summary: `refused requests`. */
    private readonly what: string,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
  ) {}

  /** Runs `write` (one log line) unless this window's lines are used up. */
  log(write: () => void): void {
    const now = this.clock.now();
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.perWindow) {
      this.written += 1;
      write();
      return;
    }
    this.suppressed += 1;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowStart + this.windowMs - now);
      this.timer.unref();
    }
  }

  /** Writes the summary of what was held back, if anything. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    this.logger.warn(
      { suppressed: this.suppressed, about: this.what },
      `${this.suppressed} more ${this.what} not logged (at most ${this.perWindow} lines per ${this.windowMs / 1000} s)`,
    );
    this.suppressed = 0;
  }
}

/** At most `max` characters of text from the wire, marked when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
