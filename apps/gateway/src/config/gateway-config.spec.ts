import { ConfigError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ISTIO_DIR } from '../paths.js';
import { loadGatewayConfig } from './gateway-config.js';
import { canonicalHost } from './hosts.js';
import { parseUpstreams, upstreamFor } from './upstreams.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => `${p.variable} ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe(loadGatewayConfig.name, () => {
  it('defaults to the ARCHITECTURE ports, the repository istio/ and the four services', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      STATUS_PORT: 15_021,
      HOST: '0.0.0.0',
      ISTIO_CONFIG: [DEFAULT_ISTIO_DIR],
    });
    expect(config.GATEWAY_NAME).toBeUndefined();
    expect(upstreamFor(config.GATEWAY_UPSTREAMS, 'detector-service', 'stable')).toBe(
      'http://127.0.0.1:8000',
    );
    expect(upstreamFor(config.GATEWAY_UPSTREAMS, 'auth-service', undefined)).toBe(
      'http://127.0.0.1:8003',
    );
  });

  it('names every bad variable at once', () => {
    const found = problems({
      PORT: 'eighty',
      STATUS_PORT: '70000',
      GATEWAY_UPSTREAMS: 'detector-service=ftp://x',
      GATEWAY_NAME: 'Not A Name',
    });
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toMatch(/PORT must be an integer/);
    expect(found.join('\n')).toMatch(/STATUS_PORT must be between 0 and 65535/);
    expect(found.join('\n')).toMatch(/GATEWAY_UPSTREAMS "ftp:\/\/x" .* must use http/);
    expect(found.join('\n')).toMatch(/GATEWAY_NAME must be name or namespace\/name/);
  });

  it('splits ISTIO_CONFIG on commas', () => {
    expect(loadGatewayConfig({ ISTIO_CONFIG: 'a.yaml, dir ,' }).ISTIO_CONFIG).toEqual([
      'a.yaml',
      'dir',
    ]);
  });
});

describe(parseUpstreams.name, () => {
  it('maps hosts and subsets, the subset entry winning', () => {
    const map = parseUpstreams(
      'detector-service=http://127.0.0.1:8000, detector-service.nomaly.svc.cluster.local/canary=http://127.0.0.1:18000/',
    );
    expect(upstreamFor(map, 'detector-service', 'canary')).toBe('http://127.0.0.1:18000');
    expect(upstreamFor(map, 'detector-service.nomaly', 'stable')).toBe('http://127.0.0.1:8000');
    expect(upstreamFor(map, 'detector-service', undefined)).toBe('http://127.0.0.1:8000');
    expect(upstreamFor(map, 'model-service', undefined)).toBeUndefined();
  });

  it('names the bad entry', () => {
    expect(() => parseUpstreams('detector-service')).toThrow(/"detector-service" is not host=URL/);
    expect(() => parseUpstreams('a=http://x:1/path')).toThrow(/must be an origin/);
    expect(() => parseUpstreams('a=not a url')).toThrow(/is not a URL/);
    expect(() => parseUpstreams('a/b/c=http://x:1')).toThrow(/"a\/b\/c" .* is not a host/);
    expect(() => parseUpstreams('a=http://x:1,a.ns=http://x:2')).toThrow(/listed twice/);
  });
});

describe(canonicalHost.name, () => {
  it('treats the forms of a cluster service name as one host', () => {
    for (const host of [
      'detector-service',
      'detector-service.nomaly',
      'detector-service.nomaly.svc',
      'Detector-Service.nomaly.svc.cluster.local',
    ]) {
      expect(canonicalHost(host), host).toBe('detector-service');
    }
    expect(canonicalHost('api.example.com')).toBe('api.example.com');
  });
});
