import { describe, expect, it } from 'vitest';
import {
  FAST_STARTUP,
  REALISTIC_STARTUP,
  boardFactor,
  startupFromFlags,
  startupProfile,
} from '../../src/sim/startup.js';

describe('start-up profiles', () => {
  it('defaults to the fast profile, and scales a preset before explicit values apply', () => {
    expect(startupProfile()).toEqual(FAST_STARTUP);
    const demo = startupProfile({ preset: 'realistic', scale: 0.1, registerMs: 250 });
    expect(demo).toEqual({
      imagePullMs: REALISTIC_STARTUP.imagePullMs / 10,
      dockerdMs: {
        privileged: REALISTIC_STARTUP.dockerdMs.privileged / 10,
        rootless: REALISTIC_STARTUP.dockerdMs.rootless / 10,
        none: 0,
      },
      registerMs: 250,
      boards: REALISTIC_STARTUP.boards,
    });
    // Rootless Docker starts slower than privileged; nothing starts without Docker.
    expect(REALISTIC_STARTUP.dockerdMs.rootless).toBeGreaterThan(
      REALISTIC_STARTUP.dockerdMs.privileged,
    );
    expect(startupProfile({ dockerdMs: { rootless: 9 } }).dockerdMs).toEqual({
      privileged: 0,
      rootless: 9,
      none: 0,
    });
  });

  it('applies a factor per board, from the node label, 1 for other boards', () => {
    const boards = { 'cloudv10x-pioneer': 0.5 };
    expect(boardFactor(boards, { 'riseproject.dev/board': 'cloudv10x-pioneer' })).toBe(0.5);
    expect(boardFactor(boards, { 'riseproject.dev/board': 'scw-em-rv1' })).toBe(1);
    expect(boardFactor(boards, undefined)).toBe(1);
  });

  it('reads the CLI flags, and names the flag it cannot read', () => {
    expect(
      startupFromFlags({
        startup: 'realistic',
        'startup-scale': '0.05',
        'image-pull-ms': '0',
        'dockerd-ms': 'privileged=300,rootless=700',
        'board-factors': 'scw-em-rv1=1.5',
      }),
    ).toEqual({
      preset: 'realistic',
      scale: 0.05,
      imagePullMs: 0,
      registerMs: undefined,
      dockerdMs: { privileged: 300, rootless: 700 },
      boards: { 'scw-em-rv1': 1.5 },
    });
    expect(() => startupFromFlags({ startup: 'slow' })).toThrow(
      '--startup: "slow" is not one of fast, realistic',
    );
    expect(() => startupFromFlags({ 'dockerd-ms': 'podman=3' })).toThrow(
      '--dockerd-ms: "podman" is not one of privileged, rootless, none',
    );
    expect(() => startupFromFlags({ 'register-ms': '-1' })).toThrow(
      '--register-ms: "-1" is not a number',
    );
    expect(() => startupFromFlags({ 'board-factors': 'b=' })).toThrow(
      '--board-factors: "b=" is not name=number',
    );
  });
});
