import { describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../errors/index.js';
import { createLogger } from '../observability/logger.js';
import { PlatformMetrics } from '../observability/metrics.js';
import { RESILIENCE_PRESETS } from './presets.js';
import { Resilience } from './resilience.js';
import type { ResilienceOptions } from './resilience.js';

function setup(options: Partial<ResilienceOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'spec',
    level: 'warn',
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  const metrics = new PlatformMetrics('spec');
  const sut = new Resilience({
    service: 'spec',
    enabled: true,
    breakersEnabled: true,
    logger,
    metrics,
    ...options,
  });
  const gauge = async (operation: string): Promise<number | undefined> =>
    (await metrics.breakerState.get()).values.find((v) => v.labels.operation === operation)?.value;
  return { sut, lines, metrics, gauge };
}

/** A dependency that fails while `down` is true and counts its calls. */
function dependency() {
  const state = { down: true, calls: 0 };
  const call = (value: string): Promise<string> => {
    state.calls++;
    return state.down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(value);
  };
  return { state, call };
}

async function failures(fn: () => Promise<unknown>, times: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = 0; i < times; i++) errors.push(await fn().catch((error: unknown) => error));
  return errors;
}

describe(Resilience.name, () => {
  it('has the presets of ARCHITECTURE.md', () => {
    expect(RESILIENCE_PRESETS).toEqual({
      database: { timeoutMs: 30_000, attempts: 3, failureThreshold: 3, resetTimeoutMs: 30_000 },
      api: { timeoutMs: 60_000, attempts: 5, failureThreshold: 5, resetTimeoutMs: 60_000 },
      cache: { timeoutMs: 5_000, attempts: 2, failureThreshold: 3, resetTimeoutMs: 15_000 },
      ml: { timeoutMs: 300_000, attempts: 2, failureThreshold: 2, resetTimeoutMs: 120_000 },
    });
  });

  it('opens after failureThreshold failures and then rejects fast with retryAfterSeconds', async () => {
    const { sut, lines, gauge } = setup();
    const dep = dependency();
    const call = sut.wrap('db.query', 'database', dep.call);
    expect(await gauge('db.query')).toBe(0);

    const errors = await failures(() => call('x'), 2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    expect(sut.states()[0]?.state).toBe('closed');

    await expect(call('x')).rejects.toThrow('ECONNREFUSED'); // the 3rd failure opens it
    expect(sut.states()).toEqual([
      { operation: 'db.query', preset: 'database', state: 'open', failures: 3, successes: 0 },
    ]);
    const rejected = await call('x').catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(ServiceError);
    expect(rejected).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
    const retryAfter = (rejected as ServiceError).retryAfterSeconds ?? 0;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(dep.state.calls).toBe(3); // the open breaker did not call the dependency
    expect(await gauge('db.query')).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', operation: 'db.query', state: 'open' }),
    );
    sut.shutdown();
  });

  it('counts consecutive failures: a success in between starts the count again', async () => {
    const { sut } = setup();
    const dep = dependency();
    const call = sut.wrap('api.models', 'ml', dep.call);
    await failures(() => call('x'), 1);
    dep.state.down = false;
    await call('x');
    dep.state.down = true;
    await failures(() => call('x'), 1);
    expect(sut.states()[0]?.state).toBe('closed');
    await failures(() => call('x'), 1);
    expect(sut.states()[0]?.state).toBe('open'); // ml: 2 consecutive failures
    sut.shutdown();
  });

  it('half-opens after resetTimeoutMs, closes on a successful trial and reopens on a failed one', async () => {
    const { sut, gauge } = setup();
    const dep = dependency();
    const call = sut.wrap('svc.call', 'api', dep.call, {
      overrides: { failureThreshold: 2, resetTimeoutMs: 50 },
    });
    await failures(() => call('x'), 2);
    expect(sut.states()[0]?.state).toBe('open');

    await vi.waitFor(() => expect(sut.states()[0]?.state).toBe('half-open'));
    expect(await gauge('svc.call')).toBe(2);
    await expect(call('x')).rejects.toThrow('ECONNREFUSED'); // the trial fails
    expect(sut.states()[0]?.state).toBe('open');

    await vi.waitFor(() => expect(sut.states()[0]?.state).toBe('half-open'));
    dep.state.down = false;
    await expect(call('back')).resolves.toBe('back');
    expect(sut.states()[0]?.state).toBe('closed');
    expect(await gauge('svc.call')).toBe(0);
    sut.shutdown();
  });

  it('closes an open breaker as soon as a registered health probe succeeds', async () => {
    const { sut, gauge } = setup();
    const dep = dependency();
    let healthy = false;
    let probes = 0;
    sut.registerProbe('database', () => {
      probes++;
      return Promise.resolve(healthy);
    });
    // A long half-open timer: only the probe can bring the breaker back within the test.
    const call = sut.wrap('db.query', 'database', dep.call, {
      overrides: { failureThreshold: 1, resetTimeoutMs: 600_000 },
    });
    await failures(() => call('x'), 1);
    expect(sut.states()[0]?.state).toBe('open');
    await vi.waitFor(() => expect(probes).toBeGreaterThan(0), { timeout: 5_000 });
    expect(sut.states()[0]?.state).toBe('open');

    healthy = true;
    dep.state.down = false;
    await vi.waitFor(() => expect(sut.states()[0]?.state).toBe('closed'), { timeout: 5_000 });
    expect(await gauge('db.query')).toBe(0);
    await expect(call('back')).resolves.toBe('back');
    sut.shutdown();
  });

  it('does not count client errors (4xx ServiceErrors) as failures, nor retry them', async () => {
    const { sut } = setup();
    let calls = 0;
    const notFound = new ServiceError('NOT_FOUND', 'no such detector');
    const call = sut.wrap(
      'db.find',
      'database',
      () => {
        calls++;
        return Promise.reject(notFound);
      },
      { idempotent: true, fallback: () => 'fallback' },
    );
    const errors = await failures(() => call(), 10);
    expect(errors.every((e) => e === notFound)).toBe(true);
    expect(calls).toBe(10);
    expect(sut.states()[0]).toMatchObject({ state: 'closed', failures: 0, successes: 10 });
    sut.shutdown();
  });

  it('counts a 5xx ServiceError thrown by the function', async () => {
    const { sut } = setup();
    const call = sut.wrap('api.peer', 'ml', () =>
      Promise.reject(new ServiceError('INTERNAL', 'peer broke')),
    );
    await failures(() => call(), 2);
    expect(sut.states()[0]?.state).toBe('open');
    sut.shutdown();
  });

  it('retries idempotent work only, each attempt counting towards the breaker', async () => {
    const { sut } = setup();
    const flaky = dependency();
    const read = sut.wrap(
      'db.read',
      'database',
      () => {
        flaky.state.down = flaky.state.calls < 2;
        return flaky.call('row');
      },
      { idempotent: true },
    );
    await expect(read()).resolves.toBe('row');
    expect(flaky.state.calls).toBe(3);

    const write = dependency();
    const insert = sut.wrap('db.write', 'database', write.call);
    await expect(insert('row')).rejects.toThrow('ECONNREFUSED');
    expect(write.state.calls).toBe(1);
    sut.shutdown();
  });

  it('stops retrying once the breaker opens (retries run outside the breaker)', async () => {
    const { sut } = setup();
    const dep = dependency();
    // api: 5 attempts, but the breaker opens after the 3rd failed attempt.
    const call = sut.wrap('svc.get', 'api', dep.call, {
      idempotent: true,
      overrides: { failureThreshold: 3 },
    });
    await expect(call('x')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(dep.state.calls).toBe(3);
    sut.shutdown();
  });

  it('times out each attempt with a TIMEOUT ServiceError that counts as a failure', async () => {
    const { sut } = setup();
    const hang = sut.wrap('ml.score', 'ml', () => new Promise<never>(() => undefined), {
      overrides: { timeoutMs: 20 },
    });
    const error = await hang().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'TIMEOUT', status: 504 });
    expect(sut.states()[0]?.failures).toBe(1);
    sut.shutdown();
  });

  it('does not retry an attempt that ran out its timeout, even for idempotent work', async () => {
    const { sut } = setup();
    let calls = 0;
    const hang = sut.wrap(
      'svc.get',
      'api',
      () => {
        calls += 1;
        return new Promise<never>(() => undefined);
      },
      { idempotent: true, overrides: { timeoutMs: 20 } },
    );
    await expect(hang()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(calls).toBe(1);
    sut.shutdown();
  });

  it('answers with the fallback when the dependency is at fault', async () => {
    const { sut } = setup();
    const dep = dependency();
    const seen: unknown[] = [];
    const call = sut.wrap('cache.get', 'ml', dep.call, {
      fallback: (error, key) => {
        seen.push([(error as Error).message, key]);
        return `default:${key}`;
      },
    });
    expect(await call('a')).toBe('default:a');
    expect(await call('b')).toBe('default:b'); // opens the breaker (ml: 2 failures)
    expect(await call('c')).toBe('default:c'); // rejected by the open breaker
    expect(seen).toEqual([
      ['ECONNREFUSED', 'a'],
      ['ECONNREFUSED', 'b'],
      [expect.stringContaining('cache.get is unavailable') as unknown, 'c'],
    ]);
    expect(dep.state.calls).toBe(2);
    sut.shutdown();
  });

  it('shares one breaker between functions wrapped under one operation name', async () => {
    const { sut } = setup();
    const dep = dependency();
    const get = sut.wrap('redis', 'ml', dep.call);
    const set = sut.wrap('redis', 'ml', dep.call);
    await failures(() => get('x'), 1);
    await failures(() => set('x'), 1);
    await expect(get('x')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(sut.states()).toHaveLength(1);
    expect(() => sut.wrap('redis', 'database', dep.call)).toThrow(/already wrapped/);
    expect(() => sut.wrap('redis', 'ml', dep.call, { overrides: { attempts: 9 } })).toThrow(
      /already wrapped/,
    );
    sut.shutdown();
  });

  it('calls straight through when resilience is disabled', async () => {
    const { sut } = setup({ enabled: false });
    const dep = dependency();
    const call = sut.wrap('db.query', 'ml', dep.call, { idempotent: true });
    const errors = await failures(() => call('x'), 5);
    expect(errors.every((e) => (e as Error).message === 'ECONNREFUSED')).toBe(true);
    expect(dep.state.calls).toBe(5);
    expect(sut.states()).toEqual([]);
  });

  it('keeps timeouts but never fails fast when breakers are disabled', async () => {
    const { sut } = setup({ breakersEnabled: false });
    const dep = dependency();
    const call = sut.wrap('db.query', 'ml', dep.call);
    await failures(() => call('x'), 5);
    expect(dep.state.calls).toBe(5);
    expect(sut.states()).toEqual([]);
    const hang = sut.wrap('db.slow', 'ml', () => new Promise<never>(() => undefined), {
      overrides: { timeoutMs: 10 },
    });
    await expect(hang()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects calls after shutdown', async () => {
    const { sut } = setup();
    const call = sut.wrap('db.query', 'database', () => Promise.resolve(1));
    await expect(call()).resolves.toBe(1);
    sut.shutdown();
    expect(sut.states()).toEqual([]);
    await expect(call()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
