import { describe, expect, it } from 'vitest';
import { countStatuses } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { filterReport } from '../../functions/publish/filter.ts';
import { renderHtml } from '../../functions/publish/html.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';
import { renderRestoreWindowSvg } from '../../functions/publish/svg.ts';
import {
  auditOf,
  everyStatusReport,
  healthyDatabase,
  hostileReport,
  sevenDayDatabase,
} from './restore-window-fixtures.ts';

describe('renderHtml', () => {
  it('loads nothing from outside the file and forbids scripts, a base URL and form posts when rendered', async () => {
    // base-uri and form-action do not fall back to default-src (CSP Level 3), so they are named.
    // Act
    const html = renderHtml(await everyStatusReport());

    // Assess
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
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

describe('renderHtml findings beside the restore windows', () => {
  it('lists a failing secret, a warning dump series and accepted risk apart from the databases, and counts the passes', async () => {
    // Prepare: the database report plus findings on things that have no restore window.
    const base = await everyStatusReport();
    const secret = {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsSecretsManagerSecret',
      id: 'certctl/<b>ca</b>',
    } as const;
    const dumps = { ...secret, type: 'AwsS3Bucket', id: 'certctl-dumps/nightly' } as const;
    const other = (overrides: Partial<Finding>): Finding => ({
      checkId: 'keys.replicated',
      group: 'keys',
      resource: secret,
      status: 'FAILED',
      severity: 'HIGH',
      title: 'Key material is replicated',
      description: 'The secret is not replicated to another region.',
      remediation: {
        text: 'Run `aws secretsmanager replicate-secret-to-regions`.',
        url: 'https://docs.aws.amazon.com/x',
      },
      observed: { replicas: 0 },
      required: { replicas: 1 },
      evaluatedAt: base.finishedAt,
      ...overrides,
    });
    const findings = [
      ...base.findings,
      other({}),
      other({ checkId: 'keys.cmk', exception: { reason: 'migrating', expires: '2099-01-01', active: true } }),
      other({
        checkId: 'dumps.fresh',
        group: 'dumps',
        resource: dumps,
        status: 'WARNING',
        severity: 'MEDIUM',
      }),
      other({ checkId: 'keys.present', status: 'PASSED', severity: 'INFORMATIONAL' }),
    ];
    const report = { ...base, findings, counts: countStatuses(findings) };

    // Act
    const html = renderHtml(report);

    // Assess
    const section = html.slice(html.indexOf('<h2>Other findings'));
    expect(html).toContain('<h2>Other findings');
    expect(section).toContain('<code>keys.replicated</code>');
    expect(section).toContain('certctl/&lt;b&gt;ca&lt;/b&gt;');
    expect(section).toContain('<code>dumps.fresh</code>');
    expect(section).toMatch(/<code>keys\.cmk<\/code>[^<]*<[^>]*>[^<]*accepted risk until 2099-01-01/i);
    expect(section).not.toContain('<code>keys.present</code>');
    expect(section).toContain('1 passed');
  });
});

describe('renderHtml of a filtered report', () => {
  it('says which filters narrowed it, as the table and Markdown reports do', async () => {
    // Act
    const html = renderHtml(
      filterReport(await everyStatusReport(), { checks: new Set(['pitr.enabled']), failedOnly: true }),
    );

    // Assess
    expect(html).toContain('<p class="showing">Showing: check pitr.enabled; passes hidden.</p>');
    expect(renderHtml(await everyStatusReport())).not.toContain('Showing:');
  });

  it('says passing databases were hidden, not that none was judged, when --failed-only hides them all', async () => {
    // Act: one database, every check passed, passes hidden.
    const html = renderHtml(filterReport(await auditOf([healthyDatabase]), { failedOnly: true }));

    // Assess: the page agrees with its summary line (1 database judged) and its verdict.
    const text = html.replaceAll(/<[^>]+>/g, ' ').replaceAll(/\s+/g, ' ');
    expect(text).toContain('1 database, 1 of 1 scope evaluated');
    expect(text).not.toContain('No database was judged');
    expect(text).not.toContain('No database with a restore window was judged');
    expect(text).not.toMatch(/PASSED 0 databases/);
    expect(text).toContain('passes hidden');
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

describe('restore windows of a report filtered by --failed-only', () => {
  it('keeps the window and lag of each database it keeps when their own checks passed', async () => {
    // Prepare: certctl-archive-db fails lag but its 35-day window passed; certctl-prod-db fails
    // window and retention but its 4-minute lag passed.
    const view = filterReport(await everyStatusReport(), { failedOnly: true });

    // Act
    const markdown = renderMarkdown(view);
    const html = renderHtml(view);

    // Assess
    expect(markdown).toContain(
      '| FAILED | aws:111122223333/eu-west-1 rds:certctl-archive-db | 35.0 of 30 days | 2026-07-28 12:00 UTC to 2026-08-30 12:00 UTC |',
    );
    expect(markdown).toMatch(
      /rds:certctl-prod-db \| 7\.0 of 30 days \| [^|]+ \| 7 days \| 4 min \(at most 15 min\) \|/,
    );
    expect(html).toContain('<dt>Restore window</dt><dd>35.0 of 30 days</dd>');
    expect(html).toContain('<dt>Restore lag</dt><dd>4 min (at most 15 min)</dd>');
  });
});

describe('renderHtml control characters', () => {
  it('shows control and bidi characters of a database id escaped, not raw', async () => {
    // Prepare: an id with a line feed, ESC and a right-to-left override.
    const base = await everyStatusReport();
    const findings = base.findings.map((finding) =>
      finding.resource.id === 'certctl-prod-db'
        ? { ...finding, resource: { ...finding.resource, id: 'certctl\n\u001b[2J\u202eprod' } }
        : finding,
    );

    // Act
    const html = renderHtml({ ...base, findings });

    // Assess
    expect(html).not.toContain('\u001b');
    expect(html).not.toContain('\u202e');
    expect(html).toContain('certctl\\x0a\\x1b[2J\\u202eprod');
  });
});

describe('renderHtml counts', () => {
  it('accounts on the page for every not-available finding the summary counts, a scope that could not be read included', async () => {
    // Prepare: certctl-dr-db has 4 checks not evaluated; us-east-1 could not be read, which the run
    // reports as one not-available finding per check of the scope (5), as Security Hub gets them.
    const report = await everyStatusReport();

    // Act
    const html = renderHtml(report);

    // Assess: the summary's count is the databases' badges plus what the scope's line says it counts.
    const counted = Number(/(\d+) not available — /.exec(html)?.[1]);
    expect(counted).toBe(report.counts.NOT_AVAILABLE);
    const checkLists = [...html.matchAll(/<ul class="checks">(.*?)<\/ul>/g)].map((match) => match[1] ?? '');
    const badges = checkLists.join('').split('status-NOT_AVAILABLE').length - 1;
    const notEvaluated = html.slice(html.indexOf('<h2>Not evaluated</h2>'));
    const scopeItem = /<li>aws:111122223333\/us-east-1 \(pitr\):.*?<\/li>/.exec(notEvaluated)?.[0] ?? '';
    expect(scopeItem).toContain(
      'counts as 5 not available, one per check: <code>pitr.deletion-protection</code>, <code>pitr.enabled</code>, <code>pitr.lag</code>, <code>pitr.retention</code>, <code>pitr.window</code>.',
    );
    expect(badges + 5).toBe(counted);
  });
});

describe('renderHtml scopes of the keys group', () => {
  it('says no secret, not no database, was judged in a keys scope that could not be read', async () => {
    // Prepare
    const base = await auditOf([healthyDatabase]);
    const report = {
      ...base,
      scopes: [
        ...base.scopes,
        {
          scope: { provider: 'aws' as const, account: '111122223333', region: 'eu-west-1', group: 'keys' },
          status: 'failed' as const,
          resources: 0,
          error: { code: 'AccessDenied', message: 'secretsmanager:ListSecrets denied' },
        },
      ],
    };

    // Act
    const html = renderHtml(report);

    // Assess
    expect(html).toContain(
      '(keys): secretsmanager:ListSecrets denied (AccessDenied). No secret in it was judged.',
    );
    expect(html).not.toContain('No database in it was judged');
  });
});

describe('renderHtml figures that were not proven', () => {
  const figure = (html: string, article: string, term: string): string | undefined => {
    const start = html.indexOf(`${article}</h3>`);
    const block = html.slice(start, html.indexOf('</article>', start));
    return new RegExp(`<dt>${term}</dt><dd>([^<]*)</dd>`).exec(block)?.[1];
  };

  it('says not evaluated for each figure of a database whose checks could not evaluate', async () => {
    // Act: certctl-dr-db's window could not be read; retention, lag and window are NOT_AVAILABLE.
    const html = renderHtml(await everyStatusReport());

    // Assess
    const db = 'rds:certctl-dr-db';
    expect(figure(html, db, 'Restore window')).toBe('not evaluated');
    expect(figure(html, db, 'Retention')).toBe('not evaluated');
    expect(figure(html, db, 'Restore lag')).toBe('not evaluated (at most 15 min)');
    expect(html).toContain('earliest restorable time not evaluated to latest restorable time not evaluated');
    expect(html).toContain('>window not evaluated</div>');
  });

  it('says not reported, not unknown or ?, for figures no check reported', async () => {
    // Prepare: only pitr.enabled reported on the database (no window, lag or retention finding).
    const base = await auditOf([healthyDatabase]);
    const findings = base.findings.filter((finding) => finding.checkId === 'pitr.enabled');
    const report = { ...base, findings, counts: countStatuses(findings) };

    // Act
    const html = renderHtml(report);

    // Assess
    const db = 'cloudsql:certctl-sql';
    expect(figure(html, db, 'Restore window')).toBe('not reported');
    expect(figure(html, db, 'Required')).toBe('not reported');
    expect(figure(html, db, 'Retention')).toBe('not reported');
    expect(figure(html, db, 'Restore lag')).toBe('not reported');
    expect(html).not.toMatch(/>unknown</);
  });
});
