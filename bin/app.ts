#!/usr/bin/env node
import { buildApp } from '../lib/app.ts';
import { ConfigError } from '../shared/errors.ts';

try {
  buildApp({ now: new Date() });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
