import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that each run several worker processes and hundreds of jobs: side by side they starve
 * one another of the two cores, and their waits run out. The usual order (slowest first) starts
 * one of them at once; the others wait until every other file has started.
 */
const LAST = ['test/e2e/concurrency.test.ts'];

export class ProcessHeavyLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const last = (f: TestSpecification) => LAST.some((path) => f.moduleId.endsWith(path));
    return [...sorted.filter((f) => !last(f)), ...sorted.filter(last)];
  }
}
