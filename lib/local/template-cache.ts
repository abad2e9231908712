/**
 * Synthesis costs seconds (loading the CDK, building the stack, cdk-nag), and every `cto-jobs` command and
 * test file starts a local runtime. The template is therefore kept, keyed by everything it is made of: the
 * CDK context, the day (the configuration's DST check looks ahead from it), and the contents of the sources
 * and the lockfile. A change to any of them is a different key, so a kept template is never stale.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../project.ts';
import type { CfnTemplate } from './template.ts';

/** Where templates are kept: the usual place for a project's tool caches, ignored by git and npm. */
export const TEMPLATE_CACHE_DIRECTORY = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'cto-jobs', 'templates');

/** The folders and files a template is made of. */
const INPUTS = ['lib', 'shared', 'lambdas', 'package-lock.json'];

/** Templates kept at most; the least recently used go first. */
const KEEP = 20;

/**
 * The template for `context` on `now`'s day: the kept one, or `synthesize()`'s, which is then kept. A
 * synthesis that throws (a bad configuration, a cdk-nag finding) keeps nothing.
 */
export async function cachedTemplate(
  context: Record<string, unknown>,
  now: Date,
  synthesize: () => Promise<CfnTemplate>,
  directory = TEMPLATE_CACHE_DIRECTORY,
): Promise<CfnTemplate> {
  const file = path.join(directory, `${templateKey(context, now)}.json`);
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
    const time = new Date();
    fs.utimesSync(file, time, time);
    return kept;
  } catch {
    // Not kept yet (or unreadable): synthesize.
  }
  const template = await synthesize();
  fs.mkdirSync(directory, { recursive: true });
  // Written aside and renamed, so a concurrent reader (parallel test files) never sees half a file.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify(template));
  fs.renameSync(partial, file);
  pruneOldest(directory);
  return template;
}

/** Whether {@link cachedTemplate} would answer at once for `context` on `now`'s day (the CLI says so before a synthesis). */
export function isTemplateKept(context: Record<string, unknown>, now: Date, directory = TEMPLATE_CACHE_DIRECTORY): boolean {
  return fs.existsSync(path.join(directory, `${templateKey(context, now)}.json`));
}

/** The key of a template: a digest of its context, its day, and the contents of its inputs. */
export function templateKey(context: Record<string, unknown>, now: Date): string {
  const digest = createHash('sha256');
  digest.update(JSON.stringify(context)).update(now.toISOString().slice(0, 10));
  for (const file of INPUTS.flatMap((input) => filesUnder(path.join(PROJECT_ROOT, input))).sort()) {
    digest.update(path.relative(PROJECT_ROOT, file)).update(fs.readFileSync(file));
  }
  return digest.digest('hex').slice(0, 32);
}

function filesUnder(entry: string): string[] {
  if (!fs.statSync(entry).isDirectory()) return [entry];
  return fs.readdirSync(entry, { withFileTypes: true }).flatMap((child) => filesUnder(path.join(entry, child.name)));
}

function pruneOldest(directory: string): void {
  const kept = fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ file: path.join(directory, name), used: fs.statSync(path.join(directory, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { file } of kept.slice(KEEP)) fs.rmSync(file, { force: true });
}
