import { describe, expect, it } from 'vitest';
import {
  linkHeader,
  pageLinks,
  parseDay,
  parseHistoryParams,
  parseJobId,
} from '../../src/api/admin/params.js';
import { html, SafeHtml } from '../../src/api/pages/html.js';

const NOW = new Date('2024-05-10T15:30:00Z');
const err = (q: Record<string, unknown>) => {
  const r = parseHistoryParams(q, NOW);
  return r.ok ? undefined : r.error;
};

describe('history parameters', () => {
  it('defaults: the last 7 days, page 1, 30 per page', () => {
    expect(parseHistoryParams({}, NOW)).toEqual({
      ok: true,
      value: { start: new Date('2024-05-03T15:30:00Z'), end: NOW, page: 1, perPage: 30 },
    });
  });

  it('YYYY-MM-DD days are UTC, the end day included whole; -Nd counts back from now', () => {
    expect(parseDay('2024-02-29', 'start', NOW)).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(parseDay('2024-02-29', 'end', NOW)).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(parseDay('-2d', 'start', NOW)).toEqual(new Date('2024-05-08T15:30:00Z'));
    expect(parseDay('-0d', 'end', NOW)).toEqual(NOW);
    const r = parseHistoryParams(
      {
        start: '2024-05-01',
        end: '-1d',
        page: '3',
        per_page: '100',
        status: 'pending,failed',
        entity: 'acme',
        board: 'scw-em-rv1',
      },
      NOW,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        start: new Date('2024-05-01T00:00:00Z'),
        end: new Date('2024-05-09T15:30:00Z'),
        page: 3,
        perPage: 100,
        statuses: ['pending', 'failed'],
        entity: 'acme',
        board: 'scw-em-rv1',
      },
    });
  });

  it.each([
    [{ start: 'yesterday' }, 'start must be YYYY-MM-DD or -Nd (e.g. -7d), got "yesterday"'],
    [{ start: '2024-02-30' }, 'start must be YYYY-MM-DD or -Nd (e.g. -7d), got "2024-02-30"'],
    [{ end: '2024-5-1' }, 'end must be YYYY-MM-DD or -Nd (e.g. -7d), got "2024-5-1"'],
    [{ end: '-7' }, 'end must be YYYY-MM-DD or -Nd (e.g. -7d), got "-7"'],
    [{ start: '-1d', end: '-3d' }, 'start (-1d) is after end (-3d)'],
    [{ page: '0' }, 'page must be an integer from 1 to 1000000, got "0"'],
    [{ page: 'two' }, 'page must be an integer from 1 to 1000000, got "two"'],
    [{ page: '1.5' }, 'page must be an integer from 1 to 1000000, got "1.5"'],
    [{ per_page: '101' }, 'per_page must be an integer from 1 to 100, got "101"'],
    [{ per_page: '0' }, 'per_page must be an integer from 1 to 100, got "0"'],
    [{ per_page: '-5' }, 'per_page must be an integer from 1 to 100, got "-5"'],
    [
      { status: 'queued' },
      'status must be one or more of pending, running, completed, failed (comma-separated), got "queued"',
    ],
    [{ entity: '' }, 'entity must be an entity name or id of 1 to 100 characters'],
    [{ board: 'a b' }, 'board must be a board name (letters, digits, . _ -), got "a b"'],
    [{ page: ['1', '2'] }, 'parameter "page" is given more than once'],
    [
      { sort: 'asc' },
      'unknown parameter "sort" (expected start, end, page, per_page, status, entity, board)',
    ],
  ])('%j → 400 %s', (q, message) => {
    expect(err(q)).toBe(message);
  });

  it('job ids: positive integers only', () => {
    expect(parseJobId('123')).toEqual({ ok: true, value: 123 });
    for (const bad of ['abc', '0', '-1', '1e3', '12.5', '99999999999999999', '']) {
      expect(parseJobId(bad)).toMatchObject({
        ok: false,
        error: expect.stringMatching(/^job id must be a positive integer/),
      });
    }
  });
});

describe('Link header', () => {
  const base = 'http://h/history';
  it('GitHub style: next and last, then first and prev, other parameters kept', () => {
    const links = pageLinks(base, { status: 'pending' }, 2, 10, 35);
    expect(linkHeader(links)).toBe(
      [
        '<http://h/history?status=pending&page=3&per_page=10>; rel="next"',
        '<http://h/history?status=pending&page=4&per_page=10>; rel="last"',
        '<http://h/history?status=pending&page=1&per_page=10>; rel="first"',
        '<http://h/history?status=pending&page=1&per_page=10>; rel="prev"',
      ].join(', '),
    );
  });
  it('first page has no first/prev; last page no next/last; one page no header', () => {
    expect(pageLinks(base, {}, 1, 10, 35).map((l) => l.rel)).toEqual(['next', 'last']);
    expect(pageLinks(base, {}, 4, 10, 35).map((l) => l.rel)).toEqual(['first', 'prev']);
    expect(pageLinks(base, {}, 9, 10, 35).find((l) => l.rel === 'prev')!.href).toContain('page=4');
    expect(linkHeader(pageLinks(base, {}, 1, 10, 10))).toBeUndefined();
  });
});

describe('html', () => {
  it('escapes every interpolated string, keeps nested html, joins arrays, drops null/false', () => {
    const name = `<script>alert("x")</script>&'\``;
    expect(html`<td title="${name}">${name}</td>`.value).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</td>',
    );
    const items = ['a<', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(html`${new SafeHtml('<b>')}`.value).toBe('<b>');
  });
});
