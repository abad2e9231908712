import { afterEach, describe, expect, it } from 'vitest';
import { alertRulesOf, bugRulesOf, parseConfig, schedulesOf } from '../../shared/config.ts';
import { alertRules, bugRules, cronMonitor, healthThresholds } from '../../shared/dependencies.ts';
import type { EngineStores } from '../../shared/engine/stores.ts';
import { ENV } from '../../shared/environment.ts';
import { ConfigError } from '../../shared/errors.ts';

const NOW = new Date('2026-11-28T00:00:00Z');
const SETTINGS = [ENV.bugRules, ENV.alertRules, ENV.healthThresholds, ENV.schedules, ENV.monitoringThresholds, ENV.jobTimeoutSeconds];
const saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The error `build` throws, which must be a ConfigError. */
function configErrorOf(build: () => unknown): ConfigError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the JSON settings a handler reads', () => {
  it('reads back what the stack writes from the configuration', () => {
    const config = parseConfig({}, NOW);
    process.env[ENV.bugRules] = JSON.stringify(bugRulesOf(config));
    process.env[ENV.alertRules] = JSON.stringify(alertRulesOf(config));
    process.env[ENV.healthThresholds] = JSON.stringify(config.healthThresholds);
    process.env[ENV.schedules] = JSON.stringify(schedulesOf(config));
    process.env[ENV.monitoringThresholds] = JSON.stringify(config.monitoring);
    process.env[ENV.jobTimeoutSeconds] = '540';

    expect(bugRules()).toEqual(bugRulesOf(config));
    expect(alertRules()).toEqual(alertRulesOf(config));
    expect(healthThresholds()).toEqual(config.healthThresholds);
    const monitor = cronMonitor({} as EngineStores);
    expect(monitor.thresholds).toEqual(config.monitoring);
    expect(monitor.budgetMinutes).toBe(9);
  });

  it('refuses BUG_RULES with a wrong field, in one line naming the variable and the field', () => {
    process.env[ENV.bugRules] = JSON.stringify({ ...bugRulesOf(parseConfig({}, NOW)), defaultSeverity: 'urgent' });

    const error = configErrorOf(bugRules);

    expect(error.message).toMatch(/^environment variable BUG_RULES is invalid: defaultSeverity: "urgent" is not a severity/);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a setting with a field the schema does not know, or JSON that does not parse', () => {
    process.env[ENV.alertRules] = JSON.stringify({ ...alertRulesOf(parseConfig({}, NOW)), cooldown: 3 });
    expect(configErrorOf(alertRules).message).toMatch(/^environment variable ALERT_RULES is invalid: .*cooldown/);

    process.env[ENV.healthThresholds] = '{"healthy": 80,';
    expect(configErrorOf(healthThresholds).message).toMatch(/^environment variable HEALTH_THRESHOLDS is not valid JSON/);
  });

  it('refuses health thresholds the configuration would refuse, and schedules missing a job type', () => {
    process.env[ENV.healthThresholds] = JSON.stringify({ healthy: 40, warning: 60 });
    expect(configErrorOf(healthThresholds).message).toBe(
      'environment variable HEALTH_THRESHOLDS is invalid: warning: 60 must be below healthThresholds.healthy (40)',
    );

    const { weekly_report: _weekly, ...twoJobs } = schedulesOf(parseConfig({}, NOW));
    process.env[ENV.schedules] = JSON.stringify(twoJobs);
    process.env[ENV.monitoringThresholds] = JSON.stringify(parseConfig({}, NOW).monitoring);
    process.env[ENV.jobTimeoutSeconds] = '540';
    expect(configErrorOf(() => cronMonitor({} as EngineStores)).message).toMatch(
      /^environment variable JOB_SCHEDULES is invalid: weekly_report: /,
    );
  });
});
