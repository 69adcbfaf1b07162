import { builtinModules } from 'node:module';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The image installs `dependencies` only (npm ci --omit=dev) and runs the compiled src/. A module
 * under src/ that loads a devDependency (tsx, vitest, yaml, ajv, playwright-core…) works in every
 * test and in `npm start` on a clone, and fails only in the container, at start or when that
 * command is first used. So this reads what each file loads once compiled: type-only imports
 * vanish when TypeScript emits, which is why the check runs on emitted JavaScript, not on the
 * source, where `import type` from a devDependency would be harmless.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

async function emittedImports(): Promise<Array<{ file: string; specifier: string }>> {
  const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const found: Array<{ file: string; specifier: string }> = [];
  for (const file of files) {
    const source = await readFile(join(SRC, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    });
    // Static imports, re-exports, import('literal') and require('literal') alike.
    for (const { fileName } of ts.preProcessFile(outputText, true, true).importedFiles) found.push({ file: join('src', file), specifier: fileName });
  }
  return found;
}

describe('what the compiled bot loads', () => {
  it('is Node built-ins, files inside src/, and packages listed in dependencies — never a devDependency', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const production = new Set(Object.keys(pkg.dependencies ?? {}));
    const builtins = new Set(builtinModules);
    const imports = await emittedImports();
    expect(imports.length).toBeGreaterThan(100);

    const problems: string[] = [];
    for (const { file, specifier } of imports) {
      if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
      if (specifier.startsWith('.')) {
        // dist/ holds src/ alone: a reach into test/, scripts/ or bench/ would not be in the image.
        const target = resolve(ROOT, dirname(file), specifier);
        if (!target.startsWith(SRC + sep)) problems.push(`${file}: ${specifier} is outside src/ (${relative(ROOT, target)})`);
        continue;
      }
      const name = packageOf(specifier);
      if (production.has(name)) continue;
      const where = pkg.devDependencies?.[name] !== undefined ? 'a devDependency, absent from the image' : 'not in package.json at all';
      problems.push(`${file}: ${specifier} is ${where}; move it to dependencies or drop the import`);
    }
    expect(problems).toEqual([]);
  });

  it('reads a type-only import as nothing and a value import as a load (the check sees what runs)', () => {
    const emitted = (source: string) =>
      ts.preProcessFile(
        ts.transpileModule(source, { fileName: 'x.ts', compilerOptions: { module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true } }).outputText,
        true,
        true,
      ).importedFiles.map((f) => f.fileName);
    expect(emitted(`import type { Ajv } from 'ajv';\nexport type A = Ajv;`)).toEqual([]);
    expect(emitted(`import { parse } from 'yaml';\nexport const p = parse;`)).toEqual(['yaml']);
    expect(emitted(`export const load = () => import('playwright-core');`)).toEqual(['playwright-core']);
    expect(packageOf('@slack/bolt/dist/x')).toBe('@slack/bolt');
  });
});
