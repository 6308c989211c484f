import { describe, expect, it } from 'vitest';
import { PlatformMetrics } from './metrics.js';

describe(PlatformMetrics.name, () => {
  it('exports the documented names, labelled with the service', async () => {
    const sut = new PlatformMetrics('detector-service');
    sut.observeHttp('get', '/api/v1/detectors/:id', 200, 0.012);
    sut.observeHttp('GET', '/api/v1/detectors/:id', 200, 0.3);
    sut.breakerState.set({ service: 'detector-service', operation: 'db.query' }, 1);
    const text = await sut.metrics();
    expect(text).toContain(
      'http_requests_total{method="GET",route="/api/v1/detectors/:id",status="200",service="detector-service"} 2',
    );
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",.*\} 0/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.025",.*\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="10",.*\} 2/);
    expect(text).toContain(
      'nomaly_circuit_breaker_state{service="detector-service",operation="db.query"} 1',
    );
    expect(text).toContain('# TYPE nomaly_database_connections_active gauge');
    expect(text).toContain('# TYPE nomaly_database_connections_max gauge');
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="detector-service"\}/);
    expect(sut.contentType).toMatch(/^text\/plain/);
  });

  it('reads the database pool at scrape time', async () => {
    const sut = new PlatformMetrics('svc');
    let active = 3;
    sut.collectDatabasePool(() => ({ active, max: 10 }));
    expect(await sut.metrics()).toContain('nomaly_database_connections_active{service="svc"} 3');
    active = 7;
    const text = await sut.metrics();
    expect(text).toContain('nomaly_database_connections_active{service="svc"} 7');
    expect(text).toContain('nomaly_database_connections_max{service="svc"} 10');
  });

  it('keeps scraping when the pool reader throws', async () => {
    const sut = new PlatformMetrics('svc');
    sut.collectDatabasePool(() => {
      throw new Error('pool closed');
    });
    expect(await sut.metrics()).toContain('# TYPE nomaly_database_connections_max gauge');
  });

  it('uses its own registry, so two instances do not collide', async () => {
    const a = new PlatformMetrics('a');
    const b = new PlatformMetrics('b');
    a.observeHttp('GET', '/x', 200, 0.1);
    expect(await a.metrics()).toContain(
      'http_requests_total{method="GET",route="/x",status="200",service="a"} 1',
    );
    expect(await b.metrics()).not.toContain('route="/x"');
  });
});
