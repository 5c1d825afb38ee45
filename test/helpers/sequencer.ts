import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, longest first, so the run's critical path starts at once. Vitest's own order
 * (slowest first) needs the durations of an earlier run, which a fresh clone (CI) does not have:
 * there it sorts by file size, and the kill -9 test started late and ended the run ~10 s later.
 */
const FIRST = [
  'test/e2e/faults-kill.test.ts',
  'test/demo/demo.test.ts',
  'test/e2e/reconcile.test.ts',
  'test/e2e/provision.test.ts',
  'test/e2e/faults-flushall.test.ts',
  'test/browser/missing-chromium.test.ts',
  'test/browser/operator.test.ts',
];

/**
 * The files that each run several worker processes and hundreds of jobs: side by side they starve
 * one another of the two cores, and their waits run out. The others wait until every other file
 * has started.
 */
const LAST = ['test/e2e/concurrency.test.ts'];

export class ProcessHeavyLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const first = FIRST.findIndex((path) => f.moduleId.endsWith(path));
      if (first >= 0) return first;
      return LAST.some((path) => f.moduleId.endsWith(path)) ? FIRST.length + 1 : FIRST.length;
    };
    // A stable sort: the files in neither list keep vitest's order between the two groups.
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.f);
  }
}
