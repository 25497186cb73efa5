// Finds the TypeScript blocks of the repository's READMEs, type-checks them with the TypeScript
// compiler API under the project's strict settings, and runs the ones marked `ts run`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One fenced TypeScript block of a README. */
export interface ReadmeBlock {
  /** The README, relative to the repository root (`packages/data/README.md`). */
  readme: string;
  /** 1-based README line of the block's first code line (the line after the fence). */
  line: number;
  /** 1-based index of the block among the README's TypeScript blocks. */
  index: number;
  /** The code between the fences. */
  code: string;
  /**
   * Whether to run it (`ts run`), and the MovieLens data sets it reads from `$CF_DATA_DIR`
   * (`ts run=ml-latest-small`; several comma-separated).
   */
  run: { datasets: string[] } | undefined;
}

/** A block that failed, and why, in words that name the README and the block. */
export interface BlockFailure {
  block: ReadmeBlock;
  message: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript|tsx)\b([^\n]*)$/;

/** Every fenced `ts` / `typescript` block of a Markdown text, with its marker words. */
export function extractBlocks(markdown: string, readme: string): ReadmeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  for (let k = 0; k < lines.length; k++) {
    const open = FENCE.exec(lines[k]!);
    if (!open) continue;
    const [, indent = '', fence = '```', , info = ''] = open;
    const body: string[] = [];
    let end = k + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) {
      body.push(lines[end]!.startsWith(indent) ? lines[end]!.slice(indent.length) : lines[end]!);
      end++;
    }
    if (end === lines.length)
      throw new Error(`${readme}:${k + 1}: the \`\`\`${open[3]} block is never closed`);
    const words = info.trim().split(/\s+/).filter(Boolean);
    const runWord = words.find((w) => w === 'run' || w.startsWith('run='));
    blocks.push({
      readme,
      line: k + 2,
      index: blocks.length + 1,
      code: body.join('\n'),
      run: runWord
        ? { datasets: runWord === 'run' ? [] : runWord.slice(4).split(',').filter(Boolean) }
        : undefined,
    });
    k = end;
  }
  return blocks;
}

/** The READMEs the check covers: the root one, and those of `packages/*`, `examples/*` and `bench`. */
export async function findReadmes(root: string): Promise<string[]> {
  const found = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  for (const parent of ['packages', 'examples']) {
    const entries = await readdir(join(root, parent), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name)))
      if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'README.md')))
        found.push(`${parent}/${entry.name}/README.md`);
  }
  if (existsSync(join(root, 'bench', 'README.md'))) found.push('bench/README.md');
  return found;
}

/** Every TypeScript block of every README under `root`. */
export async function collectBlocks(root: string): Promise<ReadmeBlock[]> {
  const blocks: ReadmeBlock[] = [];
  for (const readme of await findReadmes(root))
    blocks.push(...extractBlocks(await readFile(join(root, readme), 'utf8'), readme));
  return blocks;
}

/** `packages/data/README.md` block 2 → `packages-data-README-2`. */
function fileStem(block: ReadmeBlock): string {
  return `${block.readme.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-${block.index}`;
}

/** How a failure names its block: `packages/data/README.md, block 2 (line 41)`. */
export function describeBlock(block: ReadmeBlock): string {
  return `${block.readme}, TypeScript block ${block.index} (line ${block.line})`;
}

/** The compiler options: the repository's `tsconfig.base.json`, with nothing emitted. */
function compilerOptions(root: string): ts.CompilerOptions {
  const file = join(root, 'tsconfig.base.json');
  const { config, error } = ts.readConfigFile(file, (path) => ts.sys.readFile(path)) as {
    config: unknown;
    error: ts.Diagnostic | undefined;
  };
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.convertCompilerOptionsFromJson(
    (config as { compilerOptions: unknown }).compilerOptions,
    root,
  );
  if (parsed.errors.length > 0)
    throw new Error(ts.flattenDiagnosticMessageText(parsed.errors[0]!.messageText, '\n'));
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // every README block is a module of its own (top-level await, no shared globals)
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
}

/**
 * Type-checks every block as its own module, written into `workDir` (a folder inside a package
 * whose `node_modules` holds the cf packages, so their built `dist` types are what is checked).
 * Returns one failure per block with errors, each error as `README:line:column: message`.
 */
export async function typecheckBlocks(
  blocks: readonly ReadmeBlock[],
  options: { root: string; workDir: string },
): Promise<BlockFailure[]> {
  await rm(options.workDir, { recursive: true, force: true });
  await mkdir(options.workDir, { recursive: true });
  const fileOf = new Map<string, ReadmeBlock>();
  for (const block of blocks) {
    const file = join(options.workDir, `${fileStem(block)}.ts`);
    await writeFile(file, block.code + '\n');
    fileOf.set(file, block);
  }
  const program = ts.createProgram([...fileOf.keys()], compilerOptions(options.root));
  const errors = new Map<ReadmeBlock, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const block = diagnostic.file ? fileOf.get(diagnostic.file.fileName) : undefined;
    if (!block) {
      // an error outside the blocks (a broken package type, a missing module of the workspace)
      const where = diagnostic.file
        ? `${relative(options.root, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : 'compiler';
      throw new Error(`type-checking the README blocks failed outside them: ${where}: ${text}`);
    }
    const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(
      diagnostic.start ?? 0,
    );
    const list = errors.get(block) ?? [];
    list.push(
      `${block.readme}:${block.line + line}:${character + 1}: TS${diagnostic.code}: ${text}`,
    );
    errors.set(block, list);
  }
  return [...errors].map(([block, list]) => ({
    block,
    message: `${describeBlock(block)} does not compile under the project's strict settings:\n  ${list.join('\n  ')}`,
  }));
}

/**
 * Runs a block marked `ts run`: transpiled to JavaScript next to the type-checked copies (so it
 * imports the built packages), executed by Node in a fresh temporary folder (files it writes land
 * there) with `CF_DATA_DIR` passed through. Resolves to a failure, or undefined when it exited 0.
 */
export async function runBlock(
  block: ReadmeBlock,
  options: { workDir: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<BlockFailure | undefined> {
  const js = ts.transpileModule(block.code, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  }).outputText;
  await mkdir(options.workDir, { recursive: true });
  const file = join(options.workDir, `${fileStem(block)}.mjs`);
  await writeFile(file, js);
  const cwd = await mkdtemp(join(tmpdir(), 'cf-readme-block-'));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [file],
        { cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 1 << 24 },
        (error, _stdout, stderr) => {
          if (!error) return resolve();
          const tail = stderr.trim().split('\n').slice(-12).join('\n    ');
          reject(
            new Error(
              `${error.killed ? `timed out after ${(options.timeoutMs ?? 120_000) / 1000} s` : `exited with code ${String(error.code)}`}:\n    ${tail}`,
            ),
          );
        },
      );
    });
    return undefined;
  } catch (error) {
    return {
      block,
      message: `${describeBlock(block)}, marked \`ts run\`, failed when run with node in ${cwd}: ${(error as Error).message}`,
    };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** The repository root, from this package's folder. */
export function repositoryRoot(): string {
  return dirname(dirname(dirname(import.meta.dirname)));
}
