import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-guard';
import { FailureLimiter } from './rate-limit';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('failed sign-in limiter', () => {
  it('lets a few mistakes through, then blocks the address; logs the burst once and its count when it goes quiet', async () => {
    const lines: string[] = [];
    const limiter = new FailureLimiter({ burst: 3, refillPerSecond: 0.001, quietMs: 300, log: (m) => lines.push(m) });
    try {
      for (let i = 0; i < 3; i++) {
        expect(limiter.blocked('10.0.0.1')).toBe(false);
        limiter.failure('10.0.0.1', 'wrong token');
      }
      expect(limiter.blocked('10.0.0.1')).toBe(true);
      expect(limiter.blocked('10.0.0.2')).toBe(false);
      for (let i = 0; i < 997; i++) limiter.refused('10.0.0.1', 'too many failed sign-ins');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refused a request from 10\.0\.0\.1: wrong token/);
      await sleep(900);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/refused 999 more request\(s\) from 10\.0\.0\.1: wrong token, too many failed sign-ins/);
      // Still locked out after the burst: the bucket refills slowly.
      expect(limiter.blocked('10.0.0.1')).toBe(true);
    } finally {
      limiter.dispose();
    }
  });

  it('earns failures back over time', async () => {
    const limiter = new FailureLimiter({ burst: 2, refillPerSecond: 20, quietMs: 50, log: () => undefined });
    try {
      limiter.failure('a', 'x');
      limiter.failure('a', 'x');
      expect(limiter.blocked('a')).toBe(true);
      await sleep(120);
      expect(limiter.blocked('a')).toBe(false);
    } finally {
      limiter.dispose();
    }
  });
});

describe('JSON nesting guard', () => {
  it('counts only brackets outside strings', () => {
    expect(nestsDeeperThan('{"a":[1,[2,[3]]]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[1,[2,[3]]]}', 3)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ text: '[[[[[[[[[[{{{{{{' }), 2)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ text: 'a\\"[[[[[[' }), 2)).toBe(false);
    expect(nestsDeeperThan('['.repeat(65) + ']'.repeat(65), 64)).toBe(true);
  });
});
