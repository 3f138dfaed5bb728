/**
 * The demo's steps, each timed and remembered, so that the end of the run can say what took how
 * long and which step failed, and the exit code is non-zero when any did.
 */
export interface StepOutcome {
  name: string;
  ok: boolean;
  seconds: number;
  detail?: string;
}

export class Steps {
  readonly outcomes: StepOutcome[] = [];
  private readonly started = Date.now();

  /** Runs `work`; a throw or a returned string (what went wrong) marks the step failed. Never throws. */
  async run(name: string, work: () => Promise<string | void> | string | void): Promise<boolean> {
    const started = Date.now();
    let problem: string | undefined;
    try {
      problem = (await work()) ?? undefined;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    this.outcomes.push({ name, ok: problem === undefined, seconds: (Date.now() - started) / 1000, ...(problem ? { detail: problem } : {}) });
    return problem === undefined;
  }

  get ok(): boolean {
    return this.outcomes.every((outcome) => outcome.ok);
  }

  get totalSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** One line per step, then the total. */
  format(): string {
    const width = Math.max(...this.outcomes.map((o) => o.name.length), 4);
    const lines = this.outcomes.map(
      (o) => `  ${o.name.padEnd(width)} ${o.seconds.toFixed(1).padStart(6)} s  ${o.ok ? 'ok' : `FAILED: ${o.detail ?? ''}`}`,
    );
    lines.push(`  ${'total'.padEnd(width)} ${this.totalSeconds.toFixed(1).padStart(6)} s  ${this.ok ? 'ok' : `${this.outcomes.filter((o) => !o.ok).length} failed`}`);
    return lines.join('\n');
  }
}
