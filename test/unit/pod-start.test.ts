import { describe, expect, it } from 'vitest';
import { podStartLine } from '../../src/demo/pod-start.js';

describe('the demo summary line on pod start', () => {
  it('gives the share of queue time spent from pod creation to the job being taken', () => {
    const line = podStartLine([
      // Queued at 0, its pod made at 100, taken at 400: 300 of 400 ms was pod start.
      { queuedAt: 0, podCreatedAt: 100, startedAt: 400 },
      // A pod made for an earlier job took this one: only this job's 200 ms wait counts.
      { queuedAt: 1000, podCreatedAt: 950, startedAt: 1200 },
      // A runner outside any pod of ours is left out.
      { queuedAt: 0, startedAt: 5000 },
    ]);
    // (300 + 200) / (400 + 200) = 83 %; p50 (nearest rank) of [200, 300] and of [200, 400].
    expect(line).toBe(
      '  pod start            83 % of the queue time: p50 0.2 s of p50 0.2 s (pod created → its runner took the job: pull, dockerd, registration)',
    );
  });

  it('says n/a when no runner pod took a job', () => {
    expect(podStartLine([])).toBe('  pod start            n/a (no job was taken by a runner pod)');
  });
});
