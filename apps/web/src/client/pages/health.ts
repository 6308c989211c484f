import type { PageContext } from '../app.js';
import { ApiError } from '../api.js';
import { isAbort } from '../components/notice.js';
import { dataTable } from '../components/table.js';
import { append, h } from '../dom.js';

/**
 * The services as this browser sees them through the gateway. The UI speaks only the public
 * REST API (the services' own /health and /ready are not routed to the outside), so each
 * service is probed with a cheap authenticated read on its public route.
 */
const PROBES: ReadonlyArray<{ service: string; route: string; path: string }> = [
  { service: 'auth-service', route: '/api/v1/auth', path: '/api/v1/auth/me' },
  { service: 'dataset-service', route: '/api/v1/datasets', path: '/api/v1/datasets?limit=1' },
  { service: 'model-service', route: '/api/v1/models', path: '/api/v1/models?limit=1' },
  { service: 'detector-service', route: '/api/v1/detectors', path: '/api/v1/detectors/algorithms' },
  { service: 'detector-service (jobs)', route: '/api/v1/jobs', path: '/api/v1/jobs?limit=1' },
];

interface Probe {
  readonly service: string;
  readonly route: string;
  readonly state: 'up' | 'degraded' | 'down';
  readonly detail: string;
  readonly ms: number;
}

export async function healthPage(context: PageContext): Promise<void> {
  const { main } = context;
  const tableSlot = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Checking…'));
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Check again');
  append(main, [
    h('h1', { tabindex: -1 }, 'Service health'),
    h(
      'p',
      null,
      'Each service answers a small read through the gateway; the time is the round trip from this browser.',
    ),
    h('p', { class: 'actions' }, refresh),
    tableSlot,
  ]);
  const check = async (): Promise<void> => {
    refresh.disabled = true;
    const results = await Promise.all(PROBES.map((probe) => runProbe(context, probe)));
    if (context.signal.aborted) return;
    refresh.disabled = false;
    const down = results.filter((r) => r.state !== 'up').length;
    tableSlot.replaceChildren(
      h(
        'p',
        { class: down === 0 ? 'ok' : 'warning' },
        down === 0 ? 'Every service answers.' : `${down} of ${results.length} checks failed.`,
      ),
      dataTable({
        caption: `Checked at ${new Date().toLocaleTimeString()}`,
        columns: [
          { label: 'Service', rowHeader: true, cell: (r) => r.service },
          { label: 'Route', cell: (r) => h('code', null, r.route) },
          {
            label: 'State',
            cell: (r) =>
              h('span', { class: `badge health-${r.state}`, 'data-state': r.state }, r.state),
          },
          { label: 'Round trip', numeric: true, cell: (r) => `${Math.round(r.ms)} ms` },
          { label: 'Detail', cell: (r) => r.detail },
        ],
        rows: results,
      }),
    );
  };
  refresh.addEventListener('click', () => void check());
  await check();
}

async function runProbe(context: PageContext, probe: (typeof PROBES)[number]): Promise<Probe> {
  const started = performance.now();
  try {
    await context.api.get(probe.path, { signal: context.signal });
    return { ...probe, state: 'up', detail: 'answers', ms: performance.now() - started };
  } catch (error) {
    if (isAbort(error)) throw error;
    const ms = performance.now() - started;
    if (error instanceof ApiError) {
      // 4xx: the service is there and answered; 5xx and no answer: it is not serving.
      const state = error.status >= 500 || error.status === 0 ? 'down' : 'degraded';
      return { ...probe, state, detail: error.message, ms };
    }
    return { ...probe, state: 'down', detail: String(error), ms };
  }
}
