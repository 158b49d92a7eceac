/**
 * Coalesces restart requests: a burst of setting or interpreter changes restarts the server once,
 * after the burst; a request that arrives while a restart runs schedules exactly one more.
 */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class RestartScheduler {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private pendingAfterRun = false;
  private reasons: string[] = [];

  /** `restart` receives the reasons collected since the last restart. */
  constructor(
    private readonly restart: (reasons: string[]) => Promise<void>,
    private readonly delayMs = 500,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Ask for a restart; it happens `delayMs` after the last request of a burst. */
  request(reason: string): void {
    if (!this.reasons.includes(reason)) {
      this.reasons.push(reason);
    }
    if (this.running) {
      this.pendingAfterRun = true;
      return;
    }
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
    }
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, this.delayMs);
  }

  /** Restart immediately (the explicit "Restart server" command), cancelling any pending one. */
  async runNow(): Promise<void> {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running) {
      this.pendingAfterRun = true;
      return this.running;
    }
    const reasons = this.reasons;
    this.reasons = [];
    this.running = this.restart(reasons).catch(() => undefined).finally(() => {
      this.running = undefined;
      if (this.pendingAfterRun) {
        this.pendingAfterRun = false;
        this.request("changed during restart");
      }
    });
    return this.running;
  }

  dispose(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
