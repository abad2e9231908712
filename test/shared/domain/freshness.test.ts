import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES, planAlerts, sourceOfRule } from '../../../shared/domain/alerts.ts';
import { freshnessOf, isStale, type ProjectFreshness, staleProjectAlerts, worstLagSeconds } from '../../../shared/domain/freshness.ts';
import { newProject } from '../../../shared/domain/project.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

function project(lastSyncedAt?: string, webhookConfirmedAt?: string) {
  const created = newProject({ repository: 'acme/api' }, new Date('2026-11-01T00:00:00Z'));
  return {
    ...created,
    sync: { page: 1, ...(lastSyncedAt ? { lastSyncedAt } : {}) },
    ...(webhookConfirmedAt ? { webhookConfirmedAt } : {}),
  };
}

describe('freshnessOf', () => {
  it('confirms a project at the later of its last sync and its last webhook delivery applied, and counts the lag in seconds', () => {
    expect(freshnessOf(project(ago(30 * HOUR), ago(90_500)), NOW)).toEqual({
      projectId: 'acme/api',
      lastSyncedAt: ago(30 * HOUR),
      webhookConfirmedAt: ago(90_500),
      confirmedAt: ago(90_500),
      lagSeconds: 90,
    });
    expect(freshnessOf(project(ago(HOUR), ago(2 * HOUR)), NOW)).toMatchObject({ confirmedAt: ago(HOUR), lagSeconds: 3600 });
  });

  it('does not judge a project before its first sync finishes, nor count a confirmation after now as a negative lag', () => {
    expect(freshnessOf(project(undefined, ago(HOUR)), NOW)).toMatchObject({ confirmedAt: null, lagSeconds: null });
    expect(freshnessOf(project(new Date(NOW.getTime() + HOUR).toISOString()), NOW).lagSeconds).toBe(0);
  });
});

describe('isStale', () => {
  it('is not stale at exactly the limit, and stale one second past it', () => {
    expect(isStale(freshnessOf(project(ago(26 * HOUR)), NOW), 26)).toBe(false);
    expect(isStale(freshnessOf(project(ago(26 * HOUR + 1000)), NOW), 26)).toBe(true);
    expect(isStale(freshnessOf(project(ago(26 * HOUR + 999)), NOW), 26)).toBe(false);
    // With webhooks on (2 h), the same boundary, whichever confirmation is the later.
    expect(isStale(freshnessOf(project(ago(30 * HOUR), ago(2 * HOUR)), NOW), 2)).toBe(false);
    expect(isStale(freshnessOf(project(ago(30 * HOUR), ago(2 * HOUR + 1000)), NOW), 2)).toBe(true);
  });

  it('never calls a project stale before its first sync finishes', () => {
    expect(isStale(freshnessOf(project(), NOW), 1)).toBe(false);
  });
});

describe('worstLagSeconds', () => {
  it('is the largest lag among the projects confirmed at least once, or none when no project was', () => {
    const other = (lastSyncedAt?: string): ProjectFreshness => ({ ...freshnessOf(project(lastSyncedAt), NOW), projectId: 'acme/web' });
    expect(worstLagSeconds([freshnessOf(project(ago(HOUR)), NOW), other(ago(3 * HOUR)), other()])).toBe(3 * 3600);
    expect(worstLagSeconds([other()])).toBeUndefined();
    expect(worstLagSeconds([])).toBeUndefined();
  });
});

describe('staleProjectAlerts', () => {
  it('fires one alert per stale project, with a stable identity, its lag in hours and what confirmed it last', () => {
    const stale = freshnessOf(project(ago(27.5 * HOUR), ago(26.5 * HOUR)), NOW);
    expect(staleProjectAlerts([stale, freshnessOf({ ...project(ago(HOUR)), projectId: 'acme/web' }, NOW)], 26)).toEqual([
      {
        alertId: 'project_stale#acme/api',
        rule: 'project_stale',
        title: 'acme/api: data not confirmed for over 26 h',
        value: 26,
        level: 0,
        detail: `last confirmed 26 h ago (last sync ${ago(27.5 * HOUR)}, last webhook applied ${ago(26.5 * HOUR)}); limit 26 h`,
      },
    ]);
    expect(sourceOfRule('project_stale')).toBe('bugs');
  });

  it('gets worse each time the lag doubles past the limit, or past a day when the limit is shorter', () => {
    const levelAt = (limit: number) => (hours: number) =>
      staleProjectAlerts([freshnessOf(project(ago(hours * HOUR)), NOW)], limit)[0]?.level;
    expect([26, 51.9, 52, 104, 208].map(levelAt(26))).toEqual([undefined, 0, 1, 2, 3]);
    expect([2, 2.5, 4, 8, 47.9, 48, 96].map(levelAt(2))).toEqual([undefined, 0, 0, 0, 0, 1, 2]);
  });

  it('fires once through the alert policy, stays quiet while stale within the cooldown, and resolves once confirmed', () => {
    const staleAt = (hours: number) => staleProjectAlerts([freshnessOf(project(ago(27 * HOUR)), new Date(NOW.getTime() + hours))], 26);
    const first = planAlerts(staleAt(0), [], NOW, DEFAULT_ALERT_RULES.cooldownHours);
    expect(first.notices.map((notice) => notice.kind)).toEqual(['fired']);
    const later = new Date(NOW.getTime() + HOUR);
    const second = planAlerts(staleAt(HOUR), first.writes, later, DEFAULT_ALERT_RULES.cooldownHours);
    expect(second.notices).toEqual([]);
    const confirmed = planAlerts([], first.writes, later, DEFAULT_ALERT_RULES.cooldownHours);
    expect(confirmed.notices.map((notice) => notice.kind)).toEqual(['resolved']);
  });
});
