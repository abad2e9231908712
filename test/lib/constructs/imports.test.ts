import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/project.ts';

/** Every module the stack loads at synth (type-only imports erased), and the packages they import. */
function loadedBySynth(entry: string): { modules: string[]; packages: Map<string, string> } {
  const modules = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      const isImport = ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly;
      const isReexport = ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier;
      if (!isImport && !isReexport) continue;
      const specifier = ((statement as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier as ts.StringLiteral).text;
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
      else if (!packages.has(specifier)) packages.set(specifier, path.relative(PROJECT_ROOT, file));
    }
  };
  visit(path.join(PROJECT_ROOT, entry));
  return { modules: [...modules].map((file) => path.relative(PROJECT_ROOT, file)), packages };
}

describe('what the CDK app loads at synth', () => {
  it('loads no AWS SDK client and no GitHub client: constructs share only SDK-free modules with the handlers', () => {
    const { modules, packages } = loadedBySynth('lib/cto-jobs-stack.ts');
    expect(modules).toContain('shared/store/table-schemas.ts');
    const clients = [...packages].filter(([name]) => name.startsWith('@aws-sdk/') || name.startsWith('@octokit/'));
    expect(clients.map(([name, importer]) => `${importer} imports ${name}`)).toEqual([]);
  });
});
