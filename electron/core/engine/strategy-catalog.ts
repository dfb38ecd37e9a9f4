import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { INTERVALS, type Interval } from '../../../shared/candles';
import type { StrategyInfo } from '../../../shared/domain/strategies';
import { fileImportsBacktestKit, loadBacktestKitModule, type LoadedBacktestKitModule } from '../backtest-kit/strategy-api';
import { paramFields } from './params-form';
import { validateStrategyExport, type StrategyDefinition } from './strategy';

export const STRATEGY_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'] as const;

/**
 * What a backtest-kit strategy run reads around its range: a week of one-minute candles before the
 * first tick (getCandles look-backs, the VWAP of the first tick) and an hour after the last (the
 * frame closes what is left on the candle after its end).
 */
export const BACKTEST_KIT_CANDLE_WINDOW = { beforeMs: 7 * 24 * 60 * 60_000, afterMs: 60 * 60_000, interval: '1m' } as const;

interface LoadedModule {
  file: string;
  definitions: StrategyDefinition[];
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

const isTypeScript = (file: string): boolean => file.endsWith('.ts') || file.endsWith('.mts');

/** Imports a module URL: TypeScript through tsx's loader API, JavaScript natively. */
async function importUrl(url: string, typescript: boolean): Promise<unknown> {
  if (!typescript) return import(url);
  let api: typeof import('tsx/esm/api');
  try {
    api = await import('tsx/esm/api');
  } catch {
    throw new Error('TypeScript strategy modules need the `tsx` package, which this installation lacks; use a .js/.mjs module instead');
  }
  return api.tsImport(url, import.meta.url);
}

/** Imports a native strategy module; the `?v=<mtime>` suffix makes an edited file load afresh. */
async function importModule(file: string): Promise<unknown> {
  return importUrl(`${pathToFileURL(file).href}?v=${statSync(file).mtimeMs}`, isTypeScript(file));
}

/** How a strategy file's URL is imported (TypeScript through tsx). */
export function importerFor(file: string): (url: string) => Promise<unknown> {
  return (url) => importUrl(url, isTypeScript(file));
}

/** Loads a backtest-kit strategy file (its `backtest-kit` import gets our API). */
export function loadBacktestKitFile(file: string): Promise<LoadedBacktestKitModule> {
  return loadBacktestKitModule(file, importerFor(file));
}

/** A zod schema for a backtest-kit file's `export const params = {…}`: its scalar defaults become form fields. */
function paramsSchemaOf(defaults: Record<string, unknown>): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (typeof value === 'number' && Number.isFinite(value)) shape[key] = z.number().default(value);
    else if (typeof value === 'boolean') shape[key] = z.boolean().default(value);
    else if (typeof value === 'string') shape[key] = z.string().default(value);
  }
  return z.object(shape).strict();
}

/** One catalog entry per strategy a backtest-kit file registers. */
export function backtestKitDefinitions(module: LoadedBacktestKitModule): StrategyDefinition[] {
  const params = paramsSchemaOf(module.defaults);
  return [...module.registrations.strategies.values()].map((schema) => {
    const signalInterval = (schema.interval ?? '1m') as Interval;
    if (!(INTERVALS as readonly string[]).includes(signalInterval)) throw new Error(`${module.file}: strategy ${schema.strategyName} has an unknown interval "${schema.interval}"`);
    return {
      name: schema.strategyName,
      description: schema.note ?? `backtest-kit strategy (${basename(module.file)}), getSignal every ${signalInterval}`,
      // The candles its runs need: backtest-kit ticks every minute whatever getSignal's interval.
      interval: '1m',
      params,
      backtestKit: { file: module.file, strategyName: schema.strategyName },
      candleWindow: { ...BACKTEST_KIT_CANDLE_WINDOW },
      getSignal: () => {
        throw new Error(`${schema.strategyName} is a backtest-kit strategy: it runs through the backtest-kit API, not getSignal(ctx)`);
      },
    };
  });
}

async function loadModule(file: string): Promise<LoadedModule> {
  try {
    if (fileImportsBacktestKit(file)) {
      const definitions = backtestKitDefinitions(await loadBacktestKitFile(file));
      for (const d of definitions) paramFields(d.params);
      return { file, definitions };
    }
    const mod = (await importModule(file)) as { default?: unknown };
    const exported = mod.default && typeof mod.default === 'object' && 'default' in mod.default ? (mod.default as { default: unknown }).default : mod.default;
    const definition = validateStrategyExport(exported, file);
    paramFields(definition.params); // fails early on parameters a form cannot render
    return { file, definitions: [definition] };
  } catch (error) {
    return { file, definitions: [], error: describe(error) };
  }
}

/**
 * The strategies the app ships (handed in by its composition root) plus the modules of a user
 * folder, both formats: native `defineStrategy` modules and backtest-kit files. Read afresh on every
 * `list`/`load`, so a new or edited file is picked up without restarting. A module that fails to
 * import or validate is listed with its error and never throws out of here.
 */
export class StrategyCatalog {
  readonly userDir: string | undefined;
  private readonly builtins: readonly StrategyDefinition[];

  constructor(options: { userDir?: string; builtins?: readonly StrategyDefinition[] } = {}) {
    this.userDir = options.userDir ? resolve(options.userDir) : undefined;
    this.builtins = options.builtins ?? [];
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
    const out: StrategyInfo[] = this.builtins.map((d) => infoOf(d, 'builtin'));
    const taken = new Set(out.map((s) => s.name));
    for (const loaded of await Promise.all(this.userFiles().map(loadModule))) {
      if (loaded.error !== undefined) {
        out.push({ name: fileStem(loaded.file), description: '', interval: '1m', params: [], source: 'user', file: loaded.file, error: loaded.error });
        continue;
      }
      for (const definition of loaded.definitions) {
        const info = infoOf(definition, 'user', loaded.file);
        if (taken.has(info.name)) info.error = `the name "${info.name}" is already used by another strategy; rename it`;
        taken.add(info.name);
        out.push(info);
      }
    }
    return out;
  }

  /** The usable definition of a strategy, or an error that says why it cannot be used. */
  async load(name: string): Promise<StrategyDefinition> {
    const builtin = this.builtins.find((d) => d.name === name);
    if (builtin) return builtin;
    const known: string[] = this.builtins.map((d) => d.name);
    for (const file of this.userFiles()) {
      const loaded = await loadModule(file);
      const found = loaded.definitions.find((d) => d.name === name);
      if (found) return found;
      if (loaded.error !== undefined && fileStem(file) === name) throw new Error(`strategy "${name}" (${file}) cannot be used: ${loaded.error}`);
      known.push(...(loaded.definitions.length ? loaded.definitions.map((d) => d.name) : [fileStem(file)]));
    }
    throw new UnknownStrategyError(name, known);
  }

  /** A strategy file named directly (the CLI's --strategy path): its first registered strategy. */
  async loadFile(file: string): Promise<StrategyDefinition> {
    const loaded = await loadModule(resolve(file));
    if (loaded.error !== undefined) throw new Error(`strategy file ${file} cannot be used: ${loaded.error}`);
    return loaded.definitions[0]!;
  }
}

function fileStem(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.slice(0, base.length - extname(base).length);
}

function infoOf(d: StrategyDefinition, source: 'builtin' | 'user', file?: string): StrategyInfo {
  const info: StrategyInfo = { name: d.name, description: d.description ?? '', interval: d.interval, params: [], source };
  if (file) info.file = file;
  if (d.candleWindow?.interval) info.candleInterval = d.candleWindow.interval;
  try {
    info.params = paramFields(d.params);
  } catch (error) {
    info.error = describe(error);
  }
  return info;
}
