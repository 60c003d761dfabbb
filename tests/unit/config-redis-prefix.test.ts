import { describe, expect, it } from 'vitest';
import { redisPrefixFrom } from '../../server/config/redisKeys.ts';

describe('QTC_REDIS_PREFIX', () => {
  it('defaults to qtc when unset or empty, and keeps a valid prefix', () => {
    expect(redisPrefixFrom(undefined)).toBe('qtc');
    expect(redisPrefixFrom('  ')).toBe('qtc');
    expect(redisPrefixFrom('season-2027.a_1')).toBe('season-2027.a_1');
  });

  it('refuses a prefix with separators, spaces or glob characters, naming the variable', () => {
    for (const bad of ['a:b', 'a b', 'a*', 'x'.repeat(65), 'é']) {
      expect(() => redisPrefixFrom(bad)).toThrow(/^invalid configuration: QTC_REDIS_PREFIX must be/);
    }
  });
});
