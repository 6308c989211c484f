/**
 * The web UI in real headless Chromium (Debian's, driven by playwright-core) against the running
 * stack, through the gateway at /ui, as an analyst uses it: sign in with an API key, upload
 * cardio.csv, create and train an isolation forest, read the detection view (histogram with the
 * threshold, projection, top anomalies, CSV export), promote and roll back a model, follow a
 * batch job, check health. Every page is screenshotted into apps/web/test-output/; the
 * detection view also becomes docs/detection-view.png for the README.
 *
 * The steps share one browser and one stack and run in order. No assertion is on timing; the
 * load and render figures are printed and written to test-output/figures.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot, REPO_ROOT } from '@nomaly/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardioOrGenerated, type TestDataset } from './support/data.js';
import { startWebStack, type WebStack } from './support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = join(appRoot('web'), 'test-output');
const DOC_SCREENSHOT = join(REPO_ROOT, 'docs', 'detection-view.png');
/** A laptop screen. */
const VIEWPORT = { width: 1366, height: 850 };
/** The detection view's threshold line colour (THRESHOLD_COLOUR in components/charts.ts). */
const THRESHOLD_RGB = [0xb9, 0x1c, 0x1c] as const;

let stack: WebStack;
let data: TestDataset;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let apiKey: string;
const problems: string[] = [];
const figures: Record<string, unknown> = {};
/** Ids the steps hand on to each other. */
const ids: { dataset?: string; detector?: string; model?: string } = {};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  }
  data = cardioOrGenerated();
  process.stdout.write(`web browser tests: dataset ${data.source}\n`);
  mkdirSync(OUTPUT, { recursive: true });
  stack = await startWebStack();
  apiKey = await stack.adminKey('web-ui');
  userDataDir = mkdtempSync(join(tmpdir(), 'nomaly-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: VIEWPORT,
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  // A CSP violation, an uncaught error or a failed asset shows up here and fails the last step.
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
}, 300_000);

afterAll(async () => {
  writeFileSync(join(OUTPUT, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  await stack?.stop();
});

const ui = (path: string): string => `${stack.gatewayUrl}/ui${path}`;

/** A full-page screenshot into test-output/, or into `path` cut to the top `height` pixels. */
async function screenshot(
  name: string,
  options: { path?: string; height?: number } = {},
): Promise<string> {
  const path = options.path ?? join(OUTPUT, `${name}.png`);
  // A full-page capture resizes the viewport and back; in headless Chromium the page can come
  // back scrolled elsewhere than Playwright's next click expects, so restore the scroll and let
  // layout settle before going on.
  const scroll = await page.evaluate(() => scrollY);
  await page.screenshot({
    path,
    fullPage: true,
    ...(options.height === undefined
      ? {}
      : { clip: { x: 0, y: 0, width: VIEWPORT.width, height: options.height } }),
  });
  await page.evaluate(async (y) => {
    scrollTo(0, y);
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  }, scroll);
  return path;
}

async function heading(): Promise<string> {
  return (await page.locator('main h1').first().textContent()) ?? '';
}

/** Waits for the page's heading; on a timeout, the error quotes what the page shows instead. */
async function expectHeading(text: string, timeout = 30_000): Promise<void> {
  try {
    await page.locator('main h1', { hasText: text }).first().waitFor({ timeout });
  } catch (error) {
    const shown = (await page.locator('main').textContent())?.slice(0, 600);
    throw new Error(`heading "${text}" not shown at ${page.url()}; the page says: ${shown}`, {
      cause: error,
    });
  }
  expect(await heading()).toBe(text);
}

/** Waits for a URL; on a timeout, the error quotes the page's alerts. */
async function expectUrl(pattern: RegExp, timeout = 30_000): Promise<void> {
  try {
    await page.waitForURL(pattern, { timeout });
  } catch (error) {
    const alerts = await page.locator('[role=alert]').allTextContents();
    throw new Error(
      `URL ${page.url()} does not match ${pattern}; alerts: ${JSON.stringify(alerts)}`,
      { cause: error },
    );
  }
}

/**
 * Every form control has an accessible name and every button says what it does: labels,
 * not placeholders. Returns the offenders (empty when all is well).
 */
async function unnamedControls(): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>(
      'input, select, textarea, button, a[href]',
    )) {
      if (element.closest('.u-legend, .uplot') !== null) continue; // uPlot's own legend markers
      const labelled =
        (element as HTMLInputElement).labels?.length ||
        element.getAttribute('aria-label') ||
        element.getAttribute('aria-labelledby') ||
        (element.tagName === 'BUTTON' || element.tagName === 'A'
          ? element.textContent?.trim()
          : '');
      if (!labelled && (element as HTMLInputElement).type !== 'hidden')
        bad.push(element.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

describe('the web UI through the gateway', () => {
  it('signs in with an API key, refusing a wrong one, and keeps only a session token', async () => {
    const response = await page.goto(ui('/'));
    expect(response?.status()).toBe(200);
    await expectUrl(/\/ui\/sign-in/);
    await expectHeading('Sign in to Nomaly');
    const navigation = await page.evaluate(() => {
      const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      const script = performance
        .getEntriesByType('resource')
        .find((r) => /\/ui\/assets\/main-.*\.js$/.test(r.name)) as
        PerformanceResourceTiming | undefined;
      return {
        domContentLoadedMs: Math.round(entry?.domContentLoadedEventEnd ?? -1),
        loadMs: Math.round(entry?.loadEventEnd ?? -1),
        scriptTransferBytes: script?.transferSize ?? -1,
        scriptDecodedBytes: script?.decodedBodySize ?? -1,
      };
    });
    figures['firstLoad'] = navigation;
    expect(navigation.scriptTransferBytes).toBeLessThan(navigation.scriptDecodedBytes);
    await screenshot('01-sign-in');

    await page.fill('#api-key', 'nmly_this_is_not_a_key');
    await page.click('button[type=submit]');
    const alert = page.locator('[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Signing in failed/);
    expect(await page.getAttribute('#api-key', 'aria-invalid')).toBe('true');

    await page.fill('#api-key', apiKey);
    await page.press('#api-key', 'Enter');
    await expectUrl(/\/ui\/datasets$/);
    await expectHeading('Datasets');
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem('nomaly.session') ?? '',
      local: JSON.stringify({ ...localStorage }),
    }));
    expect(storage.session).toMatch(/"accessToken":"ey/);
    expect(storage.session).not.toContain(apiKey);
    expect(storage.local).not.toContain(apiKey);
    expect(storage.local).toBe('{}');
    expect(await page.locator('header .who').textContent()).toMatch(/admin/);
  });

  it('uploads cardio.csv with a real progress bar, then shows preview, quality and statistics', async () => {
    await page.evaluate(() => {
      // Record what the progress bar and its text show during the upload.
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('.upload-status .progress-text')?.textContent;
        const bar = document.querySelector<HTMLProgressElement>('.upload-status progress');
        if (text) seen.push(`${bar?.hasAttribute('value') ? Math.round(bar.value) : '…'} ${text}`);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.setInputFiles('#upload-file', data.path);
    expect(await page.inputValue('#upload-name')).toBe(data.name);
    await screenshot('02-datasets');
    await page.click('form.upload button[type=submit]');
    await expectUrl(/\/ui\/datasets\/[0-9a-f-]{36}$/, 60_000);
    ids.dataset = page.url().split('/').pop()!;
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: string[] }).progressSeen,
    );
    expect(seen.some((line) => /Uploading|of|Uploaded/.test(line))).toBe(true);
    expect(
      seen.some((line) => /the server is reading and profiling it|Stored cardio/.test(line)),
    ).toBe(true);

    await expectHeading(`Dataset ${data.name} v1`);
    const preview = page.locator('table caption', { hasText: 'The first 20 of 1,831 rows' });
    await preview.waitFor();
    const previewRows = page.locator('table:has(caption:has-text("The first 20")) tbody tr');
    expect(await previewRows.count()).toBe(20);
    const stats = page.locator('table:has(caption:has-text("Statistics per column")) tbody tr');
    expect(await stats.count()).toBe(22);
    expect(
      await page.locator('table:has(caption:has-text("Statistics per column"))').textContent(),
    ).toContain('numeric (label)');
    expect(await page.locator('section.quality').count()).toBe(1);
    expect(await unnamedControls()).toEqual([]);
    await screenshot('03-dataset');
  });

  it('creates an isolation forest from the catalogue’s parameter form and trains it', async () => {
    await page.click('nav a:has-text("Detectors")');
    await expectUrl(/\/ui\/detectors$/);
    await page.locator('fieldset.parameters').waitFor();
    expect(await page.inputValue('#detector-algorithm')).toBe('iforest');
    const nEstimators = page.getByLabel('n estimators');
    expect(await nEstimators.inputValue()).toBe('100');

    // A value outside the schema's range is named before anything is sent.
    await nEstimators.fill('0');
    await page.fill('#detector-name', 'cardio forest');
    await page.click('form.create-detector button[type=submit]');
    expect(await page.locator('form.create-detector [role=alert]').textContent()).toMatch(
      /"nEstimators" must be an integer ≥ 1 and ≤ 10000, got 0/,
    );
    expect(await nEstimators.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe(
      'nEstimators',
    );

    await nEstimators.fill('200');
    expect(await unnamedControls()).toEqual([]);
    await screenshot('04-detectors');
    await page.click('form.create-detector button[type=submit]');
    await expectUrl(/\/ui\/detectors\/[0-9a-f-]{36}$/);
    ids.detector = page.url().split('/').pop()!;
    await expectHeading('Detector cardio forest');
    expect(await page.locator('dl.facts').textContent()).toContain('"nEstimators":200');

    await page.selectOption('select[name=datasetId]', ids.dataset!);
    await page.fill('input[name=seed]', '7');
    await page.click('form.train button[type=submit]');
    const done = page.locator('.trained [role=status]');
    await done.waitFor({ timeout: 120_000 });
    expect(await done.textContent()).toMatch(
      /Model version 1 trained on 1,831 rows \(21 features\)/,
    );
    if (data.source.endsWith('cardio.csv'))
      expect(await done.textContent()).toMatch(/ROC-AUC 0\.\d+/);
    await screenshot('05-detector-trained');
  });

  it('shows the detection view: histogram with the threshold, projection, sorted top anomalies, CSV', async () => {
    const started = Date.now();
    await page.click('a:has-text("See the detections")');
    await expectUrl(/\/detection\?dataset=/);
    const histogram = page.locator('#histogram .chart');
    await page.locator('#histogram .chart[data-threshold-x]').waitFor({ timeout: 60_000 });
    await page.locator('#top-anomalies tbody tr').first().waitFor();
    figures['detectionView'] = {
      wallClockMs: Date.now() - started,
      measuredMs: await page.evaluate(() =>
        Math.round(performance.getEntriesByName('nomaly:detection-view').at(-1)?.duration ?? -1),
      ),
    };
    expect(await histogram.getAttribute('data-total')).toBe('1000');
    const threshold = Number(await histogram.getAttribute('data-threshold'));
    expect(Number.isFinite(threshold)).toBe(true);

    // The dashed threshold line is really on the canvas: its column holds the line's colour.
    const linePixels = await page.evaluate((rgb) => {
      const host = document.querySelector<HTMLElement>('#histogram .chart')!;
      const canvas = host.querySelector('canvas')!;
      const x = Number(host.dataset['thresholdX']);
      const image = canvas.getContext('2d')!.getImageData(x - 1, 0, 2, canvas.height).data;
      let count = 0;
      for (let i = 0; i < image.length; i += 4) {
        const close =
          Math.abs(image[i]! - rgb[0]) < 40 &&
          Math.abs(image[i + 1]! - rgb[1]) < 40 &&
          Math.abs(image[i + 2]! - rgb[2]) < 40;
        if (close && image[i + 3]! > 200) count++;
      }
      return { count, height: canvas.height };
    }, THRESHOLD_RGB);
    expect(linePixels.count).toBeGreaterThan(linePixels.height / 4);

    const projection = page.locator('#projection .chart');
    expect(await projection.getAttribute('data-points')).toBe('1000');
    expect(Number(await projection.getAttribute('data-anomalies'))).toBeGreaterThan(0);
    expect(await page.locator('#projection canvas').count()).toBe(1);

    const scores = async (): Promise<number[]> =>
      await page
        .locator('#top-anomalies [data-score]')
        .evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-score'))));
    const ranked = await scores();
    expect(ranked).toHaveLength(50);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    expect(ranked[0]).toBeGreaterThanOrEqual(threshold);
    expect(await page.locator('#top-anomalies tbody tr').first().textContent()).toContain(
      'anomaly',
    );
    expect(await page.locator('#top-anomalies ul.contributions li').count()).toBeGreaterThanOrEqual(
      50,
    );
    expect(await page.locator('#top-anomalies th[aria-sort=descending]').textContent()).toContain(
      'Score',
    );

    // Sorting by keyboard: focus the header button and press Enter; it keeps focus.
    const scoreHeader = page.locator('#top-anomalies button[data-sort-key=score]');
    await scoreHeader.focus();
    await page.keyboard.press('Enter');
    const ascending = await scores();
    expect(ascending).toEqual([...ranked].sort((a, b) => a - b));
    expect(await page.locator('#top-anomalies th[aria-sort=ascending]').textContent()).toContain(
      'Score',
    );
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-sort-key'))).toBe(
      'score',
    );
    await page.keyboard.press('Enter');
    expect(await scores()).toEqual(ranked);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button:has-text("Export scored rows (CSV)")'),
    ]);
    const csvPath = join(OUTPUT, 'scored-rows.csv');
    await download.saveAs(csvPath);
    const lines = readFileSync(csvPath, 'utf8')
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toMatch(/^row,score,label,f0,.*,contribution:f0,/);
    expect(Number(lines[1]!.split(',')[1])).toBeCloseTo(ranked[0]!, 10);
    for (const line of lines)
      for (const cell of line.split(',')) expect(cell).not.toMatch(/^[=+@\t\r]/);

    expect(await unnamedControls()).toEqual([]);
    await screenshot('06-detection');
    // For the README: the charts and the first rows of the table, at laptop width.
    await screenshot('detection-view', { path: DOC_SCREENSHOT, height: 1700 });
  });

  it('scores every row with a batch job, with live progress, and redraws the histogram', async () => {
    await page.click('button:has-text("(batch job)")');
    const watch = page.locator('.batch .job-watch');
    await watch.waitFor();
    await page.locator('.batch .job-watch[data-state=succeeded]').waitFor({ timeout: 120_000 });
    await page
      .locator('#histogram .chart[data-total="1831"][data-threshold-x]')
      .waitFor({ timeout: 60_000 });
    expect(await page.locator('#histogram + .chart-caption').textContent()).toMatch(
      /All rows \(job [0-9a-f]{8}\): 1,831 scores/,
    );
  });

  it('promotes a model version to champion and rolls the champion back', async () => {
    await page.click('nav a:has-text("Models")');
    await expectUrl(/\/ui\/models$/);
    await page.locator('main table').waitFor();
    await page.click('main table tbody a');
    await expectUrl(/\/ui\/models\/[0-9a-f-]{36}$/);
    ids.model = page.url().split('/').pop()!;
    await page.locator('table.versions').waitFor();
    expect(await page.locator('table.versions tbody tr').count()).toBe(1);
    expect(
      await page.locator('table.versions [data-stage]').first().getAttribute('data-stage'),
    ).toBe('none');

    await page.click('button[aria-label="Promote to champion: version 1"]');
    const notice = page.locator('#model-messages [role=status]');
    await notice.filter({ hasText: 'Version 1 is now champion' }).waitFor();
    expect(
      await page.locator('table.versions [data-stage]').first().getAttribute('data-stage'),
    ).toBe('production');
    expect(
      await page.locator('button[aria-label="Promote to champion: version 1"]').isDisabled(),
    ).toBe(true);

    // A second training (through the API, as another analyst might) makes version 2.
    const token = await stack.token(apiKey);
    const trained = await stack.call(`/api/v1/detectors/${ids.detector}/train`, token, {
      datasetId: ids.dataset,
      seed: 8,
    });
    expect(trained.status).toBe(200);
    await page.reload();
    await page.locator('table.versions tbody tr:nth-child(2)').waitFor();
    await page.click('button[aria-label="Promote to champion: version 2"]');
    await notice.filter({ hasText: 'Version 2 is now champion' }).waitFor();
    await page.click('button:has-text("Roll back the champion")');
    await notice.filter({ hasText: 'The champion is back to version 1' }).waitFor();
    const stages = await page
      .locator('table.versions [data-stage]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-stage')));
    expect(stages).toEqual(['production', 'none']);
    expect(await unnamedControls()).toEqual([]);
    await screenshot('07-model');
    await page.click('nav a:has-text("Models")');
    await page.locator('main table').waitFor();
    expect(await page.locator('main table tbody tr').first().textContent()).toContain('v1');
    await screenshot('08-models');
  });

  it('lists the jobs with their progress', async () => {
    await page.click('nav a:has-text("Jobs")');
    await expectUrl(/\/ui\/jobs$/);
    const rows = page.locator('main table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect(await rows.first().textContent()).toMatch(/detect.*succeeded.*1,831 \/ 1,831/);
    expect(await unnamedControls()).toEqual([]);
    await screenshot('09-jobs');
  });

  it('shows every service healthy through the gateway', async () => {
    await page.click('nav a:has-text("Health")');
    await page.locator('main table').waitFor();
    const states = await page
      .locator('main table [data-state]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));
    expect(states).toEqual(['up', 'up', 'up', 'up', 'up']);
    await screenshot('10-health');
  });

  it('is usable from the keyboard: a skip link first, then the navigation, with a visible focus', async () => {
    await page.goto(ui('/datasets'));
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement;
      const style = getComputedStyle(element);
      return { text: element.textContent, outline: style.outlineStyle, width: style.outlineWidth };
    });
    expect(focused.text).toBe('Nomaly');
    expect(focused.outline).toBe('solid');
    expect(focused.width).toBe('3px');
  });

  it('sends an expired session back to sign-in and then to the page it was on', async () => {
    await page.evaluate(() =>
      sessionStorage.setItem(
        'nomaly.session',
        JSON.stringify({ accessToken: 'expired.token.value', expiresAt: Date.now() + 600_000 }),
      ),
    );
    await page.goto(ui('/models'));
    await expectUrl(/\/ui\/sign-in\?next=%2Fmodels/);
    expect(await page.locator('main [role=status]').first().textContent()).toMatch(
      /session has expired/,
    );
    await page.fill('#api-key', apiKey);
    await page.press('#api-key', 'Enter');
    await expectUrl(/\/ui\/models$/);
    await expectHeading('Models');
  });

  it('raised no console error, CSP violation or uncaught exception on any page', () => {
    // The wrong key and the forged token were refused on purpose: the browser logs those 401s.
    const unexpected = problems.filter((p) => !/status of 401/.test(p));
    expect(unexpected).toEqual([]);
  });
});
