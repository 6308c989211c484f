/**
 * The application shell: header and navigation, one page at a time in `<main>`, history-based
 * routing under /ui, and the session (a 401 anywhere leads back to sign-in and then back to the
 * page the user was on).
 */
import { ApiClient } from './api.js';
import { h, replaceChildren } from './dom.js';
import { errorNotice, isAbort } from './components/notice.js';
import { datasetPage, datasetsPage } from './pages/datasets.js';
import { detectionPage } from './pages/detection.js';
import { detectorPage, detectorsPage } from './pages/detectors.js';
import { healthPage } from './pages/health.js';
import { jobPage, jobsPage } from './pages/jobs.js';
import { modelPage, modelsPage } from './pages/models.js';
import { signInPage } from './pages/sign-in.js';
import type { Me } from './types.js';

export const BASE = '/ui';

export interface PageContext {
  readonly api: ApiClient;
  /** Where the page draws itself (already empty). */
  readonly main: HTMLElement;
  /** Named groups of the route's pattern. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Aborted when the user leaves the page: stop polling, drop late answers. */
  readonly signal: AbortSignal;
  /** Who is signed in (undefined on the sign-in page). */
  readonly me: Me | undefined;
  navigate(path: string, options?: { replace?: boolean }): void;
  /** Says something to screen readers (a polite live region). */
  announce(message: string): void;
  /** After sign-in: remember who it is and refresh the header. */
  setMe(me: Me | undefined): void;
}

/** Draws a page; async pages resolve once their data is shown. */
type Page = (context: PageContext) => Promise<void> | void;

interface Route {
  readonly pattern: RegExp;
  readonly page: Page;
  readonly title: string;
  readonly public?: boolean;
}

const ROUTES: readonly Route[] = [
  { pattern: /^\/sign-in$/, page: signInPage, title: 'Sign in', public: true },
  { pattern: /^\/datasets$/, page: datasetsPage, title: 'Datasets' },
  { pattern: /^\/datasets\/(?<id>[^/]+)$/, page: datasetPage, title: 'Dataset' },
  { pattern: /^\/detectors$/, page: detectorsPage, title: 'Detectors' },
  { pattern: /^\/detectors\/(?<id>[^/]+)$/, page: detectorPage, title: 'Detector' },
  { pattern: /^\/detectors\/(?<id>[^/]+)\/detection$/, page: detectionPage, title: 'Detection' },
  { pattern: /^\/models$/, page: modelsPage, title: 'Models' },
  { pattern: /^\/models\/(?<id>[^/]+)$/, page: modelPage, title: 'Model' },
  { pattern: /^\/jobs$/, page: jobsPage, title: 'Jobs' },
  { pattern: /^\/jobs\/(?<id>[^/]+)$/, page: jobPage, title: 'Job' },
  { pattern: /^\/health$/, page: healthPage, title: 'Service health' },
];

const NAVIGATION: ReadonlyArray<readonly [string, string]> = [
  ['/datasets', 'Datasets'],
  ['/detectors', 'Detectors'],
  ['/models', 'Models'],
  ['/jobs', 'Jobs'],
  ['/health', 'Health'],
];

export class App {
  private readonly api: ApiClient;
  private readonly main: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly account: HTMLElement;
  private readonly announcer: HTMLElement;
  private me: Me | undefined;
  private current: AbortController | undefined;
  private firstRender = true;

  constructor(private readonly root: HTMLElement) {
    this.api = new ApiClient((message) => {
      // Leave the current page for sign-in, coming back here afterwards.
      const next = this.appPath();
      if (!next.startsWith('/sign-in')) {
        this.navigate(
          `/sign-in?next=${encodeURIComponent(next)}&reason=${encodeURIComponent(message)}`,
          {
            replace: true,
          },
        );
      }
    });
    this.main = h('main', { id: 'main', tabindex: -1 });
    this.nav = h('nav', { 'aria-label': 'Main' });
    this.account = h('div', { class: 'account' });
    this.announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
    replaceChildren(
      this.root,
      h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
      h(
        'header',
        { class: 'top' },
        h('a', { class: 'brand', href: `${BASE}/datasets` }, 'Nomaly'),
        this.nav,
        this.account,
      ),
      this.main,
      this.announcer,
    );
    document.addEventListener('click', (event) => this.interceptLink(event));
    window.addEventListener('popstate', () => void this.render());
  }

  async start(): Promise<void> {
    if (this.api.signedIn) {
      try {
        this.me = (
          await this.api.get<Me>('/api/v1/auth/me', { action: 'Reading your account' })
        ).body;
      } catch {
        // The 401 handler has sent the user to sign-in; other failures show on the page.
      }
    }
    await this.render();
  }

  navigate(path: string, options: { replace?: boolean } = {}): void {
    const url = `${BASE}${path}`;
    if (options.replace === true) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    void this.render();
  }

  /** The path after /ui, with its query. */
  private appPath(): string {
    const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
    return `${path || '/'}${location.search}`;
  }

  private async render(): Promise<void> {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    const path = (
      location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : ''
    ).replace(/\/+$/, '');
    if (path === '') {
      this.navigate(this.api.signedIn ? '/datasets' : '/sign-in', { replace: true });
      return;
    }
    const match = ROUTES.map((route) => ({ route, found: route.pattern.exec(path) })).find(
      (candidate) => candidate.found !== null,
    );
    if (match !== undefined && match.route.public !== true && !this.api.signedIn) {
      this.navigate(`/sign-in?next=${encodeURIComponent(this.appPath())}`, { replace: true });
      return;
    }
    this.renderChrome(path);
    this.main.replaceChildren();
    this.main.setAttribute('aria-busy', 'true');
    if (match === undefined) {
      document.title = 'Not found · Nomaly';
      this.main.append(
        h('h1', { tabindex: -1 }, 'Page not found'),
        h(
          'p',
          null,
          `There is no page at ${BASE}${path}. `,
          h('a', { href: `${BASE}/datasets` }, 'Go to datasets'),
          '.',
        ),
      );
      this.main.removeAttribute('aria-busy');
      this.focusHeading();
      return;
    }
    document.title = `${match.route.title} · Nomaly`;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.found?.groups ?? {})) {
      if (value !== undefined) params[key] = decodeURIComponent(value);
    }
    const context: PageContext = {
      api: this.api,
      main: this.main,
      params,
      query: new URLSearchParams(location.search),
      signal: controller.signal,
      me: this.me,
      navigate: (to, options) => this.navigate(to, options),
      announce: (message) => this.announce(message),
      setMe: (me) => {
        this.me = me;
        this.renderChrome(path);
      },
    };
    try {
      await match.route.page(context);
    } catch (error) {
      if (!controller.signal.aborted && !isAbort(error)) {
        if (this.main.querySelector('h1') === null) {
          this.main.append(h('h1', { tabindex: -1 }, match.route.title));
        }
        this.main.append(errorNotice(error));
      }
    } finally {
      if (this.current === controller) this.main.removeAttribute('aria-busy');
    }
    if (this.current === controller) this.focusHeading();
  }

  /** On a new page, focus its heading, so keyboard and screen-reader users start there. */
  private focusHeading(): void {
    if (this.firstRender) {
      this.firstRender = false;
      return;
    }
    const heading = this.main.querySelector<HTMLElement>('h1');
    (heading ?? this.main).focus();
  }

  private renderChrome(path: string): void {
    const signedIn = this.api.signedIn;
    replaceChildren(
      this.nav,
      signedIn
        ? h(
            'ul',
            null,
            NAVIGATION.map(([href, label]) =>
              h(
                'li',
                null,
                h(
                  'a',
                  {
                    href: `${BASE}${href}`,
                    'aria-current':
                      path === href || path.startsWith(`${href}/`) ? 'page' : undefined,
                  },
                  label,
                ),
              ),
            ),
          )
        : null,
    );
    replaceChildren(
      this.account,
      signedIn
        ? [
            this.me === undefined
              ? null
              : h(
                  'span',
                  { class: 'who' },
                  `Tenant ${this.me.tenantId.slice(0, 8)} · ${this.me.roles.join(', ')}`,
                ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => {
                  this.api.signOut();
                  this.me = undefined;
                  this.announce('Signed out.');
                  this.navigate('/sign-in');
                },
              },
              'Sign out',
            ),
          ]
        : null,
    );
  }

  private announce(message: string): void {
    // Clearing first makes a repeated message be spoken again.
    this.announcer.textContent = '';
    requestAnimationFrame(() => {
      this.announcer.textContent = message;
    });
  }

  private interceptLink(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest('a');
    if (
      anchor === null ||
      anchor === undefined ||
      anchor.target !== '' ||
      anchor.hasAttribute('download')
    )
      return;
    const url = new URL(anchor.href, location.href);
    // In-page links (the skip link) keep their default behaviour.
    if (url.hash !== '' && url.pathname === location.pathname) return;
    if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
    event.preventDefault();
    this.navigate(`${url.pathname.slice(BASE.length)}${url.search}`);
  }
}
