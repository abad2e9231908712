import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = 'README.md';

/** Folders whose subfolders each need a line in the layout table; `bin/` has none, so it is listed itself. */
const SOURCE_ROOTS = ['bin', 'lib', 'lambdas', 'shared', 'test'];
/** Folders that hold data, not source: the table need not name them. */
const NOT_SOURCE = new Set(['fixtures', 'node_modules']);
/** Code spans starting with one of these name a file or folder of the repository. */
const REPOSITORY_PATH = /^(?:bin|lib|lambdas|shared|test|docs|\.ci)\/[\w./-]*$/;

/** The README and every page under docs/, as paths relative to the project root. */
function documentationFiles(root: string): string[] {
  const docs = path.join(root, 'docs');
  const pages = fs.existsSync(docs)
    ? fs
        .readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`)
    : [];
  return [README, ...pages];
}

function hasFiles(directory: string): boolean {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .some((entry) => entry.isFile() || (entry.isDirectory() && hasFiles(path.join(directory, entry.name))));
}

/**
 * The folders a newcomer must find in the layout table: each source root that holds files itself, and each
 * non-empty folder one level below it (`shared/domain/`), as `name/`.
 */
function sourceFolders(root: string): string[] {
  return SOURCE_ROOTS.flatMap((sourceRoot) => {
    const directory = path.join(root, sourceRoot);
    if (!fs.existsSync(directory)) return [];
    const entries = fs.readdirSync(directory, { withFileTypes: true });
    const itself = entries.some((entry) => entry.isFile()) ? [`${sourceRoot}/`] : [];
    const children = entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !NOT_SOURCE.has(entry.name))
      .filter((entry) => hasFiles(path.join(directory, entry.name)))
      .map((entry) => `${sourceRoot}/${entry.name}/`);
    return [...itself, ...children];
  }).sort();
}

/** The first cell of each row of the table under the README's "Source layout" heading, without its backticks. */
function layoutTableFolders(readme: string): string[] {
  const lines = readme.split('\n');
  const heading = lines.findIndex((line) => /^#+\s+Source layout\s*$/.test(line));
  if (heading < 0) throw new Error('README.md has no "Source layout" heading');
  const tableStart = lines.findIndex((line, index) => index > heading && line.startsWith('|'));
  const rows: string[] = [];
  for (const line of lines.slice(tableStart)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows
    .slice(2) // the header and its |---| line
    .map((row) => (row.split('|')[1] ?? '').trim())
    .map((cell) => {
      const folder = /^`([^`]+)`$/.exec(cell)?.[1];
      if (!folder) throw new Error(`layout table row names no single folder in backticks: ${cell}`);
      return folder;
    });
}

/** Markdown text without fenced code blocks, whose brackets and backticks are not links or code spans. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```\s*$/gm, '');
}

/** `[text](target)` link targets that point into the repository (not a URL, not a mail address). */
function relativeLinks(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map(([, target = '']) => target)
    .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2, … */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text = ''] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Repository paths named in code spans, such as `shared/config.ts` or `lib/local/`. */
function repositoryPaths(markdown: string): string[] {
  return [...withoutCodeBlocks(markdown).matchAll(/`([^`\n]+)`/g)]
    .map(([, span = '']) => span)
    .filter((span) => REPOSITORY_PATH.test(span));
}

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

describe("the README's source-layout table", () => {
  it('names only folders that exist', () => {
    const named = layoutTableFolders(read(README));

    const missing = named.filter((folder) => !fs.statSync(path.join(PROJECT_ROOT, folder), { throwIfNoEntry: false })?.isDirectory());

    expect(missing).toEqual([]);
  });

  it('names every source folder of the tree', () => {
    const named = new Set(layoutTableFolders(read(README)));

    const undocumented = sourceFolders(PROJECT_ROOT).filter((folder) => !named.has(folder));

    expect(undocumented).toEqual([]);
  });

  describe('against a made-up tree', () => {
    let root: string | undefined;
    afterEach(() => {
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it('finds a folder added under a source root, and skips fixtures and empty folders', () => {
      const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-layout-'));
      root = tree;
      const write = (file: string) => {
        fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
        fs.writeFileSync(path.join(tree, file), '');
      };
      write('bin/app.ts');
      write('shared/config.ts');
      write('shared/brand-new/thing.ts');
      write('lambdas/daily/nested/handler.ts');
      write('test/fixtures/page.json');
      fs.mkdirSync(path.join(tree, 'lib/empty'), { recursive: true });

      const folders = sourceFolders(tree);

      expect(folders).toEqual(['bin/', 'lambdas/daily/', 'shared/', 'shared/brand-new/']);
    });
  });
});

describe('the README and docs/ pages', () => {
  it.each(documentationFiles(PROJECT_ROOT))('%s links only to files and headings that exist', (file) => {
    const broken = relativeLinks(read(file)).filter((link) => {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const linked = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      const absolute = path.join(PROJECT_ROOT, linked);
      if (!fs.existsSync(absolute)) return true;
      return anchor !== undefined && linked.endsWith('.md') && !headingAnchors(read(linked)).has(anchor);
    });

    expect(broken).toEqual([]);
  });

  it.each(documentationFiles(PROJECT_ROOT))('%s names only repository paths that exist', (file) => {
    const missing = repositoryPaths(read(file)).filter((named) => !fs.existsSync(path.join(PROJECT_ROOT, named)));

    expect(missing).toEqual([]);
  });

  it.each(documentationFiles(PROJECT_ROOT))('%s keeps every line under 140 characters', (file) => {
    const long = read(file)
      .split('\n')
      .flatMap((line, index) => ([...line].length >= 140 ? [`line ${index + 1}: ${[...line].length} characters`] : []));

    expect(long).toEqual([]);
  });

  it('keeps the README to 200 lines, the rest in docs/', () => {
    const lines = read(README).trimEnd().split('\n').length;

    expect(lines).toBeLessThanOrEqual(200);
  });
});

describe('link and anchor reading', () => {
  it('takes relative links from prose, not from code, URLs or mail addresses', () => {
    const markdown = [
      'See [design](docs/design.md#the-watchdog) and [npm](https://www.npmjs.com).',
      '`[not](a-link.md)`',
      '```',
      '[nor](this.md)',
      '```',
    ].join('\n');

    expect(relativeLinks(markdown)).toEqual(['docs/design.md#the-watchdog']);
  });

  it('anchors headings as GitHub does: code and punctuation dropped, a repeated heading numbered', () => {
    const markdown = ['## Alarms', '### `daily_sync` / `weekly_report` `Failing`', '## Alarms'].join('\n');

    expect([...headingAnchors(markdown)]).toEqual(['alarms', 'daily_sync--weekly_report-failing', 'alarms-1']);
  });
});
