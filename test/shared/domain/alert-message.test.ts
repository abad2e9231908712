import { describe, expect, it } from 'vitest';
import { alertSubject, digestOf, emailMessage, slackMessage, snsMessage } from '../../../shared/domain/alert-message.ts';
import type { AlertNotice, AlertState } from '../../../shared/domain/alerts.ts';
import { FORBIDDEN_IN_TEXT_ALTERNATIVE, HOSTILE_TITLES } from '../../support/hostile-text.ts';

const at = '2026-11-28T12:00:00.000Z';
function notice(
  number: number,
  title: string,
  kind: AlertNotice['kind'] = 'fired',
  url = `https://github.com/acme/api/issues/${number}`,
): AlertNotice {
  const alert: AlertState = {
    alertId: `unassigned_critical#acme/api#${number}`,
    rule: 'unassigned_critical',
    projectId: 'acme/api',
    number,
    title,
    url,
    severity: 'critical',
    value: 2500,
    level: 3,
    openedAt: '2026-11-25T08:00:00.000Z',
    status: kind === 'resolved' ? 'resolved' : 'open',
    firstSeenAt: at,
    lastNotifiedAt: at,
    notifiedLevel: 3,
  };
  return { kind, alert };
}
const revenue: AlertNotice = {
  kind: 'worse',
  alert: {
    alertId: 'revenue_at_risk#all',
    rule: 'revenue_at_risk',
    title: 'Revenue at risk above $20,000/day',
    value: 23_450.5,
    level: 1,
    status: 'open',
    firstSeenAt: at,
    lastNotifiedAt: at,
    notifiedLevel: 1,
  },
};
const hostile = digestOf(
  'run-1',
  at,
  [...HOSTILE_TITLES.map((title, index) => notice(index + 1, title)), notice(99, 'evil link', 'fired', 'javascript:alert(1)')],
  23_450.5,
);

describe('alert messages', () => {
  it('carry the counts and the revenue at risk in an ASCII subject under 100 characters', () => {
    const digest = digestOf('run-1', at, [notice(1, 'a'), notice(2, 'b'), revenue, notice(3, 'c', 'resolved')], 23_450.5);
    expect(alertSubject(digest)).toBe('CTO dashboard alerts: 2 new, 1 worse, 1 resolved ($23,450.5/day at risk)');
    expect(alertSubject(hostile)).toMatch(/^[\x20-\x7E]{1,99}$/);
  });

  it('keep the subject under 100 characters however large the counts', () => {
    const huge = {
      ...digestOf('run-1', at, [], 123_456_789.99),
      counts: { fired: 120_000, worse: 40_000, reminder: 300_000, resolved: 150_000 },
    };
    expect(alertSubject(huge)).toBe('CTO dashboard alerts: 610000 changes ($123,456,789.99/day at risk)');
    expect(alertSubject(huge).length).toBeLessThan(100);
  });

  it('describe each notice: what, which bug, severity, impact, age and link', () => {
    const { message } = snsMessage(digestOf('run-1', at, [notice(12, 'Checkout fails'), revenue], 23_450.5), 'github.com');
    expect(message).toContain(
      'NEW: Unassigned critical bug\n  acme/api#12 Checkout fails\n' +
        '  critical, $2,500/day, open 3d 4h\n  https://github.com/acme/api/issues/12',
    );
    expect(message).toContain('WORSE: Revenue at risk\n  Revenue at risk above $20,000/day\n  $23,450.5/day across all projects');
  });

  it('never let a hostile title ping a Slack channel, open a link elsewhere or break out of its text', () => {
    const payload = slackMessage(hostile, 'github.com');
    const texts = JSON.stringify(payload);
    expect(texts).not.toMatch(/<!|<@|<https:\/\/evil|<script|@(here|channel|everyone)/i);
    const links = [...texts.matchAll(/<(https?:[^|>]+)\|/g)].map((match) => match[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^https:\/\/github\.com\/acme\/api\/issues\/\d+$/);
  });

  it('list at most 20 notices in Slack and count the rest', () => {
    const many = digestOf(
      'run-1',
      at,
      Array.from({ length: 130 }, (_, index) => notice(index + 1, `bug ${index + 1}`)),
      0,
    );
    const payload = slackMessage(many, 'github.com');
    expect(payload.blocks).toHaveLength(2 + 20 + 1);
    expect(JSON.stringify(payload.blocks.at(-1))).toContain('…and 110 more');
    expect(many.notices).toHaveLength(100);
    expect(emailMessage(many, 'github.com').text).toContain('…and 30 more');
  });

  it('never let a hostile title inject HTML into the email, and link only to GitHub', () => {
    const { html, text } = emailMessage(hostile, 'github.com');
    // Every "<" opens one of the message's own tags, with only its own attributes.
    const tags = [...html.matchAll(/<\/?([a-zA-Z!]+)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/g)];
    expect(tags.length).toBe(html.split('<').length - 1);
    expect(new Set(tags.map((tag) => tag[1]!.toLowerCase()))).toEqual(
      new Set(['!doctype', 'a', 'body', 'br', 'head', 'html', 'meta', 'span', 'table', 'td', 'tr']),
    );
    const attributes = new Set(tags.flatMap((tag) => [...tag[2]!.matchAll(/\s([a-zA-Z-]+)=/g)].map((match) => match[1])));
    expect([...attributes].sort()).toEqual([
      'cellpadding',
      'cellspacing',
      'charset',
      'colspan',
      'content',
      'href',
      'name',
      'role',
      'style',
    ]);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https:\/\/github\.com\/acme\/api\/issues\/\d+$/);
    expect(html).not.toMatch(/[\u202A-\u202E]/);
    expect(text).not.toMatch(FORBIDDEN_IN_TEXT_ALTERNATIVE);
    expect(text).not.toContain('\nFAKE: RESOLVED');
  });
});
