import {
  formatBytes,
  formatCount,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
  shortId,
} from '../../lib/format.js';
import type { PageContext } from '../app.js';
import { BASE } from '../app.js';
import { listAll } from '../api.js';
import { errorNotice, successNotice } from '../components/notice.js';
import { dataTable } from '../components/table.js';
import { append, facts, h, link, replaceChildren } from '../dom.js';
import type { Model, ModelVersion } from '../types.js';

/** The model registry: every model with its champion and challenger. */
export async function modelsPage(context: PageContext): Promise<void> {
  const { api, main, signal } = context;
  append(main, [
    h('h1', { tabindex: -1 }, 'Models'),
    h('p', { class: 'muted' }, 'Loading models…'),
  ]);
  const models = await listAll<Model>(api, '/api/v1/models', { signal, action: 'Listing models' });
  main.replaceChildren(
    h('h1', { tabindex: -1 }, 'Models'),
    h(
      'p',
      null,
      'Every training publishes a new version of its detector’s model. Detection uses the champion, or the newest version while there is none.',
    ),
    dataTable({
      caption: `${models.length} model${models.length === 1 ? '' : 's'}`,
      empty: 'No models yet: train a detector to create one.',
      columns: [
        { label: 'Name', rowHeader: true, cell: (m) => link(`${BASE}/models/${m.id}`, m.name) },
        { label: 'Algorithm', cell: (m) => m.algorithm },
        { label: 'Versions', numeric: true, cell: (m) => m.latestVersion },
        {
          label: 'Champion',
          numeric: true,
          cell: (m) => (m.champion === null ? '–' : `v${m.champion}`),
        },
        {
          label: 'Challenger',
          numeric: true,
          cell: (m) => (m.challenger === null ? '–' : `v${m.challenger}`),
        },
        { label: 'Created', cell: (m) => formatTime(m.createdAt) },
      ],
      rows: models,
    }),
  );
}

/**
 * One model: its versions with metrics and aliases, and the admin actions — promote a version
 * to champion or challenger, archive it, roll the champion back.
 */
export async function modelPage(context: PageContext): Promise<void> {
  const { api, main, params, signal } = context;
  const id = params['id']!;
  const heading = h('h1', { tabindex: -1 }, 'Model');
  const messages = h('div', { class: 'messages', id: 'model-messages' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  append(main, [heading, messages, body]);
  const isAdmin = context.me?.roles.includes('admin') ?? false;
  const path = `/api/v1/models/${encodeURIComponent(id)}`;

  const load = async (): Promise<void> => {
    const [{ body: model }, versions] = await Promise.all([
      api.get<Model>(path, { signal, action: 'Reading the model' }),
      listAll<ModelVersion>(api, `${path}/versions`, { signal, action: 'Listing versions' }),
    ]);
    heading.textContent = `Model ${model.name}`;
    document.title = `${model.name} · Models · Nomaly`;
    const act = (
      label: string,
      json: unknown,
      route: 'promote' | 'rollback',
      done: (m: Model) => string,
    ): void => {
      messages.replaceChildren(h('p', { role: 'status' }, `${label}…`));
      api
        .post<Model>(`${path}/${route}`, {
          signal,
          action: label,
          ...(json === undefined ? {} : { json }),
        })
        .then(async ({ body: updated }) => {
          const text = done(updated);
          await load();
          messages.replaceChildren(successNotice(text));
          context.announce(text);
        })
        .catch((error: unknown) => messages.replaceChildren(errorNotice(error)));
    };
    const actions = (v: ModelVersion): HTMLElement => {
      const isChampion = model.champion === v.version;
      const isChallenger = model.challenger === v.version;
      const archived = v.stage === 'archived';
      const button = (text: string, alias: string, disabled: boolean): HTMLButtonElement =>
        h(
          'button',
          {
            type: 'button',
            class: alias === 'champion' ? undefined : 'secondary',
            disabled: disabled || !isAdmin,
            'aria-label': `${text}: version ${v.version}`,
            onclick: () =>
              act(
                `Making version ${v.version} ${alias}`,
                { version: v.version, alias },
                'promote',
                (m) =>
                  alias === 'archived'
                    ? `Version ${v.version} is archived.`
                    : `Version ${v.version} is now ${alias}; champion v${m.champion ?? '–'}, challenger ${m.challenger === null ? 'none' : `v${m.challenger}`}.`,
              ),
          },
          text,
        );
      return h(
        'div',
        { class: 'button-row' },
        button('Promote to champion', 'champion', isChampion),
        button('Make challenger', 'challenger', isChampion || isChallenger),
        button('Archive', 'archived', isChampion || archived),
      );
    };
    replaceChildren(
      body,
      facts([
        ['Algorithm', model.algorithm],
        [
          'Champion',
          model.champion === null
            ? 'none (detection uses the newest version)'
            : `v${model.champion}`,
        ],
        ['Challenger', model.challenger === null ? 'none' : `v${model.challenger}`],
        [
          'Detector',
          model.detectorId === null
            ? '–'
            : link(`${BASE}/detectors/${model.detectorId}`, shortId(model.detectorId)),
        ],
        ['Id', h('code', null, model.id)],
      ]),
      isAdmin
        ? null
        : h(
            'p',
            { class: 'notice' },
            'Promoting and rolling back need the admin role; your key can only look.',
          ),
      h(
        'p',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            disabled: !isAdmin,
            onclick: () =>
              act(
                'Rolling the champion back',
                undefined,
                'rollback',
                (m) => `The champion is back to version ${m.champion ?? '–'}.`,
              ),
          },
          'Roll back the champion',
        ),
      ),
      h('h2', null, 'Versions'),
      dataTable({
        caption: `${versions.length} version${versions.length === 1 ? '' : 's'}, oldest first`,
        className: 'versions',
        columns: [
          {
            label: 'Version',
            rowHeader: true,
            cell: (v) =>
              h(
                'span',
                { class: 'version' },
                `v${v.version}`,
                h(
                  'code',
                  { title: `SHA-256 ${v.sha256}` },
                  `${shortId(v.sha256)} · ${formatBytes(v.sizeBytes)}`,
                ),
              ),
          },
          {
            label: 'Stage',
            cell: (v) =>
              h(
                'span',
                { class: `badge stage-${v.stage}`, 'data-stage': v.stage },
                v.aliases.length > 0 ? `${v.stage} (${v.aliases.join(', ')})` : v.stage,
              ),
          },
          {
            label: 'Trained on',
            numeric: true,
            cell: (v) => `${formatCount(v.training.rows)} rows`,
          },
          { label: 'Threshold', numeric: true, cell: (v) => formatNumber(v.training.threshold) },
          {
            label: 'Anomaly rate',
            numeric: true,
            cell: (v) => formatPercent(v.training.anomalyRate),
          },
          {
            label: 'ROC-AUC',
            numeric: true,
            cell: (v) => formatNumber(v.metrics?.rocAuc ?? null, 3),
          },
          {
            label: 'Avg. precision',
            numeric: true,
            cell: (v) => formatNumber(v.metrics?.averagePrecision ?? null, 3),
          },
          {
            label: 'Training time',
            numeric: true,
            cell: (v) => formatDuration(v.training.durationMs),
          },
          { label: 'Published', cell: (v) => formatTime(v.createdAt) },
          { label: 'Actions', cell: actions },
        ],
        rows: versions,
      }),
    );
  };
  await load();
}
