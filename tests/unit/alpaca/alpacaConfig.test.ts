import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/config.ts';

describe('Alpaca configuration', () => {
  it('is absent without keys (simulated market)', () => {
    expect(loadConfig({}).alpaca).toBeUndefined();
  });

  it('defaults to paper trading, the IEX feed and the paper hosts', () => {
    const alpaca = loadConfig({ ALPACA_KEY_ID: 'PKTEST', ALPACA_SECRET_KEY: 's3cr3t' }).alpaca;
    expect(alpaca).toMatchObject({
      keyId: 'PKTEST',
      paper: true,
      feed: 'iex',
      tradingUrl: 'https://paper-api.alpaca.markets',
      dataUrl: 'https://data.alpaca.markets',
      streamUrl: 'wss://paper-api.alpaca.markets/stream',
    });
    expect(alpaca?.secretKey).toBe('s3cr3t');
  });

  it('switches hosts for live trading and takes explicit URLs (proxy, test server)', () => {
    const live = loadConfig({ ALPACA_KEY_ID: 'AK', ALPACA_SECRET_KEY: 's', ALPACA_PAPER: 'false' }).alpaca;
    expect(live).toMatchObject({ paper: false, tradingUrl: 'https://api.alpaca.markets', streamUrl: 'wss://api.alpaca.markets/stream' });
    const proxied = loadConfig({
      ALPACA_KEY_ID: 'AK',
      ALPACA_SECRET_KEY: 's',
      ALPACA_TRADING_URL: 'http://127.0.0.1:9000',
      ALPACA_DATA_URL: 'http://127.0.0.1:9001',
      ALPACA_STREAM_URL: 'ws://127.0.0.1:9000/stream',
      ALPACA_FEED: 'sip',
    }).alpaca;
    expect(proxied).toMatchObject({ tradingUrl: 'http://127.0.0.1:9000', dataUrl: 'http://127.0.0.1:9001', streamUrl: 'ws://127.0.0.1:9000/stream', feed: 'sip' });
  });

  it('never shows the secret: not enumerable, not in errors', () => {
    const config = loadConfig({ ALPACA_KEY_ID: 'PKTEST', ALPACA_SECRET_KEY: 'hunter2' });
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(Object.keys(config.alpaca ?? {})).not.toContain('secretKey');
    expect(() => loadConfig({ ALPACA_SECRET_KEY: 'hunter2' })).toThrow(/ALPACA_KEY_ID and ALPACA_SECRET_KEY must be set together \(ALPACA_KEY_ID is missing\)/);
    let message = '';
    try {
      loadConfig({ ALPACA_KEY_ID: 'x', ALPACA_SECRET_KEY: 'hunter2', ALPACA_STREAM_URL: 'https://wrong' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/ALPACA_STREAM_URL must be a URL starting with wss:\/\/ or ws:\/\//);
    expect(message).not.toContain('hunter2');
  });

  it('names wrong values', () => {
    expect(() => loadConfig({ ALPACA_PAPER: 'maybe' })).toThrow(/ALPACA_PAPER must be true or false/);
    expect(() => loadConfig({ ALPACA_FEED: 'nasdaq' })).toThrow(/ALPACA_FEED must be one of iex, sip/);
  });
});
