// The ports tests give to servers they start (tests/support/serverPort.ts): never from the kernel's
// ephemeral range, which the suite's outgoing connections draw from, and never the same one twice.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serverPort } from '../support/serverPort.ts';

describe('serverPort', () => {
  it('gives free ports below the ephemeral range, each once', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = [];
    for (let i = 0; i < 50; i++) ports.push(await serverPort());
    expect(new Set(ports).size).toBe(50);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
  });
});
