/** Injected failures of runner processes; each is consumed by the next runner(s) it applies to. */
export interface CrashFault {
  /** Milliseconds into the job (default: half its duration). */
  afterMs?: number;
}

export class ActionsFaults {
  private neverRegisterLeft = 0;
  private crashes: CrashFault[] = [];

  /** The next `count` runner processes start but never connect to GitHub. */
  neverRegister(opts: { count?: number } = {}): void {
    this.neverRegisterLeft += opts.count ?? 1;
  }

  /** The next `count` runners to take a job exit 1 partway through it. */
  crashMidJob(opts: { count?: number; afterMs?: number } = {}): void {
    for (let i = 0; i < (opts.count ?? 1); i += 1) this.crashes.push({ afterMs: opts.afterMs });
  }

  clear(): void {
    this.neverRegisterLeft = 0;
    this.crashes = [];
  }

  snapshot(): { neverRegister: number; crashMidJob: CrashFault[] } {
    return { neverRegister: this.neverRegisterLeft, crashMidJob: [...this.crashes] };
  }

  takeNeverRegister(): boolean {
    if (this.neverRegisterLeft <= 0) return false;
    this.neverRegisterLeft -= 1;
    return true;
  }

  takeCrash(): CrashFault | undefined {
    return this.crashes.shift();
  }
}
