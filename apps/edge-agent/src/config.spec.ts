import { ConfigError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from './config.js';

const VALID = {
  EDGE_MODE: 'true',
  CENTRAL_API_URL: 'https://api.nomaly.example.com',
  EDGE_API_KEY: 'nmly_0123456789abcdef',
};

function problems(env: Record<string, string>): Record<string, string> {
  try {
    loadEdgeConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return Object.fromEntries(error.problems.map((p) => [p.variable, p.message]));
  }
  throw new Error('expected a ConfigError');
}

describe(loadEdgeConfig.name, () => {
  it('takes the deployment guide’s variables with the documented defaults', () => {
    const config = loadEdgeConfig({ ...VALID, EDGE_AGENT_ID: 'store-42' });
    expect(config).toMatchObject({
      EDGE_MODE: true,
      CENTRAL_API_URL: VALID.CENTRAL_API_URL,
      SYNC_INTERVAL: 60,
      PORT: 8006,
      EDGE_BUFFER_MAX_MB: 256,
      EDGE_AGENT_ID: 'store-42',
      EDGE_UPLOAD_BATCH_RESULTS: 500,
    });
  });

  it('names every bad variable at once, EDGE_MODE first among them', () => {
    expect(
      problems({
        EDGE_MODE: 'false',
        CENTRAL_API_URL: 'ftp://central',
        SYNC_INTERVAL: '0',
        EDGE_BUFFER_MAX_MB: '-1',
        EDGE_AGENT_ID: 'has space',
        EDGE_UPLOAD_BATCH_RESULTS: '5000',
      }),
    ).toEqual({
      EDGE_MODE: 'must be true to run the edge agent (EDGE_MODE=true)',
      CENTRAL_API_URL: 'must use http:// or https://, got ftp://',
      EDGE_API_KEY: 'is required: an API key with the analyst role',
      SYNC_INTERVAL: 'must be between 1 and 86400, got 0',
      EDGE_BUFFER_MAX_MB: 'must be a number in (0, 1048576], got "-1"',
      EDGE_AGENT_ID: 'must be 1-128 letters, digits, dots, dashes, underscores or colons',
      EDGE_UPLOAD_BATCH_RESULTS: 'must be between 1 and 1000, got 5000',
    });
  });

  it('requires EDGE_MODE and CENTRAL_API_URL to be set', () => {
    const { EDGE_MODE: _mode, CENTRAL_API_URL: _url, ...rest } = VALID;
    expect(problems(rest)).toEqual({
      EDGE_MODE: 'must be true to run the edge agent (EDGE_MODE=true)',
      CENTRAL_API_URL: 'is required: the central API the agent syncs models from and uploads to',
    });
  });
});
