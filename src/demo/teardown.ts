/**
 * What the demo started, undone once, newest first: the app processes before the simulator, the
 * simulator before the stores. The same on success, on an error and on Ctrl-C.
 */
export function createTeardown(warn: (line: string) => void) {
  const steps: { what: string; run: () => Promise<void> }[] = [];
  let done: Promise<void> | undefined;
  return {
    add(what: string, run: () => Promise<void>): void {
      steps.push({ what, run });
    },
    run(): Promise<void> {
      done ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.run();
          } catch (err) {
            warn(
              `could not stop ${step.what}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        }
      })();
      return done;
    },
  };
}

export type Teardown = ReturnType<typeof createTeardown>;
