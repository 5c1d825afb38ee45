import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, longest first, so the run's critical path starts at once. Vitest's own order
 * (slowest first) needs the durations of an earlier run, which a fresh clone (CI) does not have:
 * there it sorts by file size, and the kill -9 test started late and ended the run ~10 s later.
 *
 * The 300-job concurrency test comes last of these: it starts when the first heavy files are
 * done (about 40 s in), so its three worker processes do not share the two cores with the kill -9
 * test's, and the light files run beside it. Queued after every file, it ran alone at the end
 * with half a core idle for its 13 s.
 */
const FIRST = [
  'test/e2e/faults-kill.test.ts',
  'test/demo/demo.test.ts',
  'test/e2e/reconcile.test.ts',
  'test/e2e/provision.test.ts',
  'test/e2e/faults-flushall.test.ts',
  'test/browser/missing-chromium.test.ts',
  'test/browser/operator.test.ts',
  'test/e2e/concurrency.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const first = FIRST.findIndex((path) => f.moduleId.endsWith(path));
      return first >= 0 ? first : FIRST.length;
    };
    // A stable sort: the other files keep vitest's order after these.
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.f);
  }
}
