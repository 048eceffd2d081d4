/**
 * The HTML report in a real headless browser: Debian's Chromium driven by puppeteer-core. It loads
 * the file from disk (file://, as someone opening the attachment would), reads the rendered text,
 * measures the bars, and takes a screenshot: into a temporary file, or into
 * docs/report-screenshot.png with UPDATE_SCREENSHOT=1 (so a test run leaves the tree clean).
 *
 * Without Chromium the suite is skipped on a workstation, loudly, and FAILS under CI (CI=true):
 * .ci/run installs it, so a missing browser there is a broken pipeline, not a reason to skip.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../functions/publish/html.ts';
import { STATUS_COLORS } from '../../functions/publish/markup.ts';
import { everyStatusReport, HOSTILE_ID, hostileReport } from './restore-window-fixtures.ts';

/*
 * The few browser globals the page functions below use. They run inside Chromium (puppeteer sends
 * their source), and the project's tsconfig has no DOM lib: adding it would leak browser types into
 * the product code, so this module declares just these.
 */
interface PageElement {
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
  getBoundingClientRect(): { readonly width: number };
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(image: unknown, x: number, y: number): void;
    getImageData(x: number, y: number, width: number, height: number): { readonly data: ArrayLike<number> };
  } | null;
}
declare const document: {
  readonly body: { readonly innerText: string };
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  createElement(tag: 'canvas'): PageCanvas;
};
declare const window: { readonly __pwned?: number };
declare const Image: new () => {
  src: string;
  readonly width: number;
  readonly height: number;
  decode(): Promise<void>;
};

/** Debian's `chromium` package; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? 'docs/report-screenshot.png'
    : join(tmpdir(), `backup-guard-report-screenshot-${process.pid}.png`);
const underCi = process.env.CI === 'true';
const chromiumFound = existsSync(CHROMIUM);

if (!chromiumFound && !underCi) {
  console.warn(
    `\n${'!'.repeat(100)}\n` +
      `SKIPPED test/publish/html.browser.test.ts (the HTML report in a real browser): no Chromium at ${CHROMIUM}.\n` +
      'Enable it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH). Under CI=true it fails instead.\n' +
      `${'!'.repeat(100)}\n`,
  );
}

describe.skipIf(!chromiumFound && !underCi)('HTML report in headless Chromium', () => {
  let browser: Browser;
  let directory: string;

  beforeAll(async () => {
    if (!chromiumFound) {
      throw new Error(
        `CI=true but Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y --no-install-recommends chromium\` (.ci/run does) or set CHROMIUM_PATH.`,
      );
    }
    directory = await mkdtemp(join(tmpdir(), 'html-report-'));
    // --no-sandbox: CI and these containers run as root, where Chromium's sandbox refuses to start.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  /** Write `html` to a file and open it as a reader would; every request the page makes is recorded. */
  async function open(html: string, name: string): Promise<{ page: Page; requests: string[] }> {
    const file = join(directory, name);
    await writeFile(file, html);
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800 });
    const requests: string[] = [];
    page.on('request', (request) => {
      requests.push(request.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, requests };
  }

  it('shows the summary, then the databases failing first with window, retention, lag and fix, when the report has every status', async () => {
    // Prepare
    const { page, requests } = await open(renderHtml(await everyStatusReport()), 'report.html');

    // Act
    const text = await page.evaluate(() => document.body.innerText);

    // Assess: the summary comes before the databases.
    const summaryAt = text.indexOf('Result: the audit could not complete');
    expect(summaryAt).toBeGreaterThan(-1);
    expect(text).toMatch(/FAILED\s+2 databases/);
    expect(text).toMatch(/NOT AVAILABLE\s+1 database/);
    expect(text).toMatch(/WARNING\s+1 database/);
    expect(text).toMatch(/PASSED\s+1 database/);
    expect(text).toContain('Required: a restore window of at least 30 days');
    const order = [
      'rds:certctl-archive-db',
      'rds:certctl-prod-db',
      'rds:certctl-dr-db',
      'aurora:certctl-aurora',
      'cloudsql:certctl-sql',
    ].map((name) => text.indexOf(name));
    expect(order.every((at) => at > summaryAt)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Each database's own block, from its name to the next one's.
    const block = (index: number): string => text.slice(order[index], order[index + 1] ?? undefined);
    expect(block(1)).toMatch(/Restore window\s+7\.0 of 30 days/);
    expect(block(1)).toMatch(/Retention\s+7 days/);
    expect(block(1)).toMatch(/Restore lag\s+4 min \(at most 15 min\)/);
    expect(block(1)).toContain('aws rds modify-db-instance --db-instance-identifier certctl-prod-db');
    expect(block(0)).toMatch(/Restore lag\s+2 d 0 h \(at most 15 min\)/);
    expect(block(2)).toContain('window not evaluated');
    expect(block(2)).toMatch(/Retention\s+not evaluated/);
    expect(block(2)).toMatch(/Restore lag\s+not evaluated \(at most 15 min\)/);
    expect(block(3)).toContain('complete on 2026-09-19 12:00 UTC');
    expect(block(4)).toMatch(/Restore window\s+30\.5 of 30 days/);
    expect(text).toContain('us-east-1 (pitr): Rate exceeded');
    expect(requests.every((url) => url.startsWith('file:'))).toBe(true);
    expect(requests).toHaveLength(1);
    await page.close();
  });

  it('draws a 7-of-30-day window 7/30 as wide as the required span and no bar for an unreadable window', async () => {
    // Prepare
    const { page } = await open(renderHtml(await everyStatusReport()), 'geometry.html');

    // Act
    const boxes = await page.evaluate(() =>
      [...document.querySelectorAll('article.database')].map((article) => {
        const width = (selector: string): number | null =>
          article.querySelector(selector)?.getBoundingClientRect().width ?? null;
        return {
          name: article.querySelector('h3')?.textContent ?? '',
          track: width('.track'),
          required: width('.required'),
          window: width('.window'),
          lag: width('.lag'),
        };
      }),
    );

    // Assess: the axis is 35 days (the longest window), so the required 30 days are 30/35 of the track.
    const byName = (id: string) => boxes.find((box) => box.name.endsWith(id));
    const prod = byName('rds:certctl-prod-db');
    expect((prod?.required ?? 0) / (prod?.track ?? 1)).toBeCloseTo(30 / 35, 1);
    expect((prod?.window ?? 0) / (prod?.required ?? 1)).toBeCloseTo(7 / 30, 2);
    const archive = byName('rds:certctl-archive-db');
    expect((archive?.lag ?? 0) / (archive?.track ?? 1)).toBeCloseTo(2 / 35, 2);
    expect(byName('rds:certctl-dr-db')).toMatchObject({ window: null, lag: null });
    expect(byName('cloudsql:certctl-sql')?.window).toBeGreaterThan(prod?.required ?? 0);
    await page.close();
  });

  it('takes a screenshot in which the 7-day bar is painted in the failed colour', async () => {
    // Prepare
    const { page } = await open(renderHtml(await everyStatusReport()), 'screenshot.html');

    // Act
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const bar = await page.$('article.status-FAILED:nth-of-type(2) .window');
    const barShot = await bar?.screenshot({ encoding: 'base64' });
    // Decode the PNG the screenshot produced in a blank page, where a canvas may read its pixels.
    const decoder = await browser.newPage();
    const pixel = await decoder.evaluate(async (png) => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context?.drawImage(image, 0, 0);
      const data = context?.getImageData(
        Math.floor(image.width / 2),
        Math.floor(image.height / 2),
        1,
        1,
      ).data;
      return data ? [data[0], data[1], data[2]] : [];
    }, barShot ?? '');

    // Assess
    const hex = STATUS_COLORS.FAILED;
    const expected = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
    expect(pixel).toEqual(expected);
    expect(existsSync(SCREENSHOT)).toBe(true);
    await decoder.close();
    await page.close();
  });

  it('keeps a planted script inert and shows it as text when a database id holds markup', async () => {
    // Prepare
    const { page } = await open(renderHtml(await hostileReport()), 'hostile.html');

    // Act
    const result = await page.evaluate(() => ({
      text: document.body.innerText,
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      pwned: window.__pwned ?? null,
    }));

    // Assess
    expect(result.scripts).toBe(0);
    expect(result.images).toBe(0);
    expect(result.pwned).toBeNull();
    expect(result.text).toContain(HOSTILE_ID);
    await page.close();
  });
});
