#!/usr/bin/env node
import { ConfigurationError } from '../shared/config.ts';
import { buildApp } from '../lib/app.ts';

try {
  buildApp({ now: new Date() });
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
