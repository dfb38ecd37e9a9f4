import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StrategyInfo } from '../../../shared/domain/strategies';
import { BUILTIN_STRATEGIES } from '../strategies';
import { paramFields } from './params-form';
import { validateStrategyExport, type StrategyDefinition } from './strategy';

export const STRATEGY_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

interface LoadedModule {
  file: string;
  definition?: StrategyDefinition;
  error?: string;
}

export class UnknownStrategyError extends Error {
  constructor(name: string, known: string[]) {
    super(`unknown strategy "${name}"; known: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownStrategyError';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports one user module. TypeScript goes through tsx's loader API; the `?v=<mtime>` suffix makes
 * an edited file load afresh instead of from Node's module cache.
 */
async function importModule(file: string): Promise<unknown> {
  const version = statSync(file).mtimeMs;
  if (file.endsWith('.ts') || file.endsWith('.mts')) {
    let api: typeof import('tsx/esm/api');
    try {
      api = await import('tsx/esm/api');
    } catch {
      throw new Error('TypeScript strategy modules need the `tsx` package, which this installation lacks; use a .js/.mjs module instead');
    }
    return api.tsImport(`${pathToFileURL(file).href}?v=${version}`, import.meta.url);
  }
  return import(`${pathToFileURL(file).href}?v=${version}`);
}

async function loadModule(file: string): Promise<LoadedModule> {
  try {
    const mod = (await importModule(file)) as { default?: unknown };
    const exported = mod.default && typeof mod.default === 'object' && 'default' in mod.default ? (mod.default as { default: unknown }).default : mod.default;
    const definition = validateStrategyExport(exported, file);
    paramFields(definition.params); // fails early on parameters a form cannot render
    return { file, definition };
  } catch (error) {
    return { file, error: describe(error) };
  }
}

/**
 * Built-in strategies plus the modules of a user folder, read afresh on every `list`/`load` so a
 * new or edited file is picked up without restarting. A module that fails to import or validate is
 * listed with its error and never throws out of here.
 */
export class StrategyCatalog {
  readonly userDir: string | undefined;
  constructor(options: { userDir?: string } = {}) {
    this.userDir = options.userDir ? resolve(options.userDir) : undefined;
  }

  private userFiles(): string[] {
    if (!this.userDir) return [];
    try {
      return readdirSync(this.userDir)
        .filter((f) => (STRATEGY_EXTENSIONS as readonly string[]).includes(extname(f)) && !f.endsWith('.d.ts') && !f.startsWith('.'))
        .sort()
        .map((f) => join(this.userDir!, f));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async list(): Promise<StrategyInfo[]> {
    const out: StrategyInfo[] = BUILTIN_STRATEGIES.map((d) => infoOf(d, 'builtin'));
    const taken = new Set(out.map((s) => s.name));
    for (const loaded of await Promise.all(this.userFiles().map(loadModule))) {
      if (loaded.definition) {
        const info = infoOf(loaded.definition, 'user', loaded.file);
        if (taken.has(info.name)) info.error = `the name "${info.name}" is already used by another strategy; rename it`;
        taken.add(info.name);
        out.push(info);
      } else {
        out.push({ name: fileStem(loaded.file), description: '', interval: '1m', params: [], source: 'user', file: loaded.file, error: loaded.error });
      }
    }
    return out;
  }

  /** The usable definition of a strategy, or an error that says why it cannot be used. */
  async load(name: string): Promise<StrategyDefinition> {
    const builtin = BUILTIN_STRATEGIES.find((d) => d.name === name);
    if (builtin) return builtin;
    const known: string[] = BUILTIN_STRATEGIES.map((d) => d.name);
    for (const file of this.userFiles()) {
      const loaded = await loadModule(file);
      if (loaded.definition?.name === name) return loaded.definition;
      if (!loaded.definition && fileStem(file) === name) throw new Error(`strategy "${name}" (${file}) cannot be used: ${loaded.error}`);
      known.push(loaded.definition?.name ?? fileStem(file));
    }
    throw new UnknownStrategyError(name, known);
  }
}

function fileStem(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.slice(0, base.length - extname(base).length);
}

function infoOf(d: StrategyDefinition, source: 'builtin' | 'user', file?: string): StrategyInfo {
  const info: StrategyInfo = { name: d.name, description: d.description ?? '', interval: d.interval, params: [], source };
  if (file) info.file = file;
  try {
    info.params = paramFields(d.params);
  } catch (error) {
    info.error = describe(error);
  }
  return info;
}
