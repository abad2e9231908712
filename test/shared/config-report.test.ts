import { describe, expect, it } from 'vitest';
import { parseConfig, ReportSettingsSchema, reportSettingsOf } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

describe("the weekly email's settings", () => {
  it('takes the organisation, the dashboard and the contact, all optional', () => {
    expect(reportSettingsOf(parseConfig({}, NOW))).toEqual({});
    const report = { organizationName: 'Acme', dashboardUrl: 'https://dashboard.acme.example/cto', contact: 'platform@acme.example' };
    expect(reportSettingsOf(parseConfig({ report }, NOW))).toEqual(report);
    expect(ReportSettingsSchema.parse(report)).toEqual(report);
  });

  it('refuses a dashboard that is not https and an empty name, naming each', () => {
    const bad = { report: { organizationName: '', dashboardUrl: 'http://dashboard.acme.example' } };
    expect(() => parseConfig(bad, NOW)).toThrow(ConfigError);
    expect(() => parseConfig(bad, NOW)).toThrow(
      /ctoJobs\.report\.organizationName: must not be empty\n {2}- ctoJobs\.report\.dashboardUrl: "http:\/\/dashboard\.acme\.example" is not an https URL/,
    );
  });
});
