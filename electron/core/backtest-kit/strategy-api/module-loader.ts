import { createRequire, register } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { backtestKitModule, collectRegistrations } from './api';
import { BACKTEST_KIT_EXPORTS } from './export-names';
import { Registrations } from './registry';

/**
 * Loads backtest-kit strategy files unchanged. The file's `import … from 'backtest-kit'` (or
 * `require('backtest-kit')`) resolves to our API, through a module resolution hook registered in
 * the thread that imports it (the app's main thread to list strategies, a run worker to run one).
 * The real package is never loaded.
 */

const API_KEY = Symbol.for('backtest-monitor.backtest-kit');

/** True when a module's source imports backtest-kit (decides which format a strategy file is). */
export function importsBacktestKit(source: string): boolean {
  return /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]backtest-kit['"]/.test(source);
}

export function fileImportsBacktestKit(file: string): boolean {
  try {
    return importsBacktestKit(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

let installed = false;

/** Registers the `backtest-kit` resolution for ES modules and CommonJS in this thread (once). */
export function installBacktestKitResolution(): void {
  if (installed) return;
  installed = true;
  (globalThis as Record<symbol, unknown>)[API_KEY] = backtestKitModule();
  const shim = [
    `const k = globalThis[Symbol.for('backtest-monitor.backtest-kit')];`,
    `if (!k) throw new Error('backtest-kit strategy modules run only inside Backtest Monitor');`,
    ...BACKTEST_KIT_EXPORTS.map((name) => `export const ${name} = k.${name};`),
    `export default k;`,
  ].join('\n');
  const shimUrl = `data:text/javascript,${encodeURIComponent(shim)}`;
  // CommonJS strategy files: `require('backtest-kit')` gets the same object.
  const Module = createRequire(import.meta.url)('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  Module._load = function patchedLoad(this: unknown, request: string, ...rest: unknown[]) {
    if (request === 'backtest-kit') return (globalThis as Record<symbol, unknown>)[API_KEY];
    return load.call(this, request, ...rest);
  };
  // ES modules: a resolve hook (module.register runs it on Node's hooks thread).
  const hooks = [
    `const SHIM = ${JSON.stringify(shimUrl)};`,
    `export async function resolve(specifier, context, next) {`,
    `  if (specifier === 'backtest-kit') return { url: SHIM, shortCircuit: true, format: 'module' };`,
    `  return next(specifier, context);`,
    `}`,
  ].join('\n');
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

export interface LoadedBacktestKitModule {
  file: string;
  registrations: Registrations;
  /** The module's `export const params = {…}` object (run parameters are written into it), if any. */
  params?: Record<string, unknown>;
  /** The defaults of `params` as the file declares them. */
  defaults: Record<string, unknown>;
  /** The module's exports. */
  namespace: Record<string, unknown>;
}

const loaded = new Map<string, LoadedBacktestKitModule>();
let chain: Promise<unknown> = Promise.resolve();

export type ModuleImporter = (url: string) => Promise<unknown>;

/**
 * Imports a backtest-kit strategy file and returns what it registered. Imports are serialized, so
 * registration calls always land in the right module's Registrations; an unchanged file (same
 * mtime) is imported once per thread.
 */
export function loadBacktestKitModule(file: string, importer: ModuleImporter): Promise<LoadedBacktestKitModule> {
  const next = chain.then(async () => {
    installBacktestKitResolution();
    const url = `${pathToFileURL(file).href}?v=${statSync(file).mtimeMs}`;
    const cached = loaded.get(url);
    if (cached) return cached;
    const registrations = new Registrations();
    const mod = (await collectRegistrations(registrations, () => importer(url))) as Record<string, unknown>;
    const exported = (mod.params ?? (mod.default as Record<string, unknown> | undefined)?.params) as unknown;
    const params = exported && typeof exported === 'object' && !Array.isArray(exported) ? (exported as Record<string, unknown>) : undefined;
    const entry: LoadedBacktestKitModule = { file, registrations, params, defaults: params ? structuredClone(params) : {}, namespace: mod };
    if (registrations.strategies.size === 0) throw new Error(`${file}: imports backtest-kit but registers no strategy (addStrategySchema)`);
    loaded.set(url, entry);
    return entry;
  });
  chain = next.catch(() => undefined);
  return next;
}

/** Writes a run's parameters into the module's `params` object, over its defaults. */
export function applyModuleParams(module: LoadedBacktestKitModule, values: Record<string, unknown>): void {
  if (!module.params) return;
  for (const key of Object.keys(module.params)) delete module.params[key];
  Object.assign(module.params, structuredClone(module.defaults), values);
}
