import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../functions/publish/html.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';
import { renderRestoreWindowSvg } from '../../functions/publish/svg.ts';
import { auditOf, everyStatusReport, hostileReport, sevenDayDatabase } from './restore-window-fixtures.ts';

describe('renderHtml', () => {
  it('loads nothing from outside the file and forbids scripts when rendered', async () => {
    // Act
    const html = renderHtml(await everyStatusReport());

    // Assess
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|@font-face/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).toContain('@media print');
  });

  it('escapes a database id so planted markup stays text when the id holds a script', async () => {
    // Act
    const html = renderHtml(await hostileReport());

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain(
      '&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;&#39;&amp;',
    );
  });

  it('writes one article per database, failing first, each with its window, retention, lag and fix', async () => {
    // Act
    const html = renderHtml(await everyStatusReport());

    // Assess
    const articles = [...html.matchAll(/<article class="database status-(\w+)"/g)].map((match) => match[1]);
    expect(articles).toEqual(['FAILED', 'FAILED', 'NOT_AVAILABLE', 'WARNING', 'PASSED']);
    expect(html).toContain('<dt>Restore window</dt><dd>7.0 of 30 days</dd>');
    expect(html).toContain('<dt>Retention</dt><dd>7 days</dd>');
    expect(html).toContain('<dt>Restore lag</dt><dd>4 min (at most 15 min)</dd>');
    expect(html).toContain('<code>aws rds modify-db-instance --db-instance-identifier certctl-prod-db');
    expect(html).toContain('us-east-1 (pitr): Rate exceeded (ThrottlingException)');
  });
});

describe('renderRestoreWindowSvg', () => {
  it('draws one window bar per proven window and escapes the names when a database id holds markup', async () => {
    // Act
    const svg = renderRestoreWindowSvg(await hostileReport()) ?? '';

    // Assess
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg.match(/class="window"/g)).toHaveLength(1);
  });

  it('draws a 7 of 30 day window 7/30 as wide as the required span', async () => {
    // Act
    const svg = renderRestoreWindowSvg(await auditOf([sevenDayDatabase])) ?? '';

    // Assess
    const width = (name: string): number =>
      Number(new RegExp(`class="${name}" x="[\\d.]+" y="\\d+" width="([\\d.]+)"`).exec(svg)?.[1]);
    expect(width('window') / width('required')).toBeCloseTo(7 / 30, 2);
  });

  it('is absent when no database was judged', async () => {
    expect(renderRestoreWindowSvg(await auditOf([], { failedRegion: 'us-east-1' }))).toBeUndefined();
  });
});

describe('renderMarkdown restore windows', () => {
  it('embeds the SVG as a data URI and lists every window, failing first, when databases were judged', async () => {
    // Act
    const markdown = renderMarkdown(await everyStatusReport());

    // Assess
    const image =
      /!\[Restore window per database[^\]]*\]\(data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)\)/.exec(
        markdown,
      );
    expect(Buffer.from(image?.[1] ?? '', 'base64').toString()).toContain('<svg');
    const rows = markdown
      .split('\n')
      .filter((line) => /^\| \w+ \| \S+ \S+ \| /.test(line) && !line.includes('`'));
    expect(rows.map((line) => line.split(' | ')[0])).toEqual([
      '| FAILED',
      '| FAILED',
      '| NOT_AVAILABLE',
      '| WARNING',
      '| PASSED',
    ]);
    expect(markdown).toContain(
      '| FAILED | aws:111122223333/eu-west-1 rds:certctl-prod-db | 7.0 of 30 days | 2026-08-25 12:00 UTC to 2026-09-01 11:56 UTC | 7 days | 4 min (at most 15 min) |',
    );
    expect(markdown).toMatch(/^## To fix \(\d+\)$/m);
  });

  it('leaves the picture out when no database was judged', async () => {
    expect(renderMarkdown(await auditOf([], { failedRegion: 'us-east-1' }))).not.toContain(
      '## Restore windows',
    );
  });
});
