import { readFileSync } from 'node:fs';
import {
  ADAPTERS,
  PERSIST_MODES,
  SUBSYSTEMS,
  type AdapterName,
  type EffectiveAdapter,
  type MatrixRow,
  type PersistMode,
  type Subsystem,
} from '../../../shared/domain/persist-matrix';
import { SUBSYSTEM_DEFS } from './subsystems';

/**
 * THE adapter matrix: which adapter holds each subsystem in live and in backtest mode (DESIGN.md
 * §1). This is the one place it is configured; a JSON file (persistConfigFromFile) or the caller
 * may override any cell, and a run may override cells for itself.
 */
export const DEFAULT_MATRIX: Readonly<Record<PersistMode, Readonly<Record<Subsystem, AdapterName>>>> = {
  live: {
    session: 'mongodb',
    storage: 'mongodb',
    recent: 'mongodb',
    notification: 'mongodb',
    memory: 'mongodb',
    state: 'mongodb',
    dump: 'markdown',
    markdown: 'dummy',
    log: 'jsonl',
  },
  backtest: {
    session: 'local-file',
    storage: 'in-memory',
    recent: 'in-memory',
    notification: 'in-memory',
    memory: 'local-file',
    state: 'local-file',
    dump: 'markdown',
    markdown: 'dummy',
    log: 'jsonl',
  },
};

export type MatrixOverrides = Partial<Record<Subsystem, AdapterName>>;

export interface PersistConfig {
  matrix: Record<PersistMode, MatrixOverrides>;
  /** Most signal rows the Storage subsystem keeps per mode; the oldest closed/cancelled go first. */
  storageCap: Record<PersistMode, number>;
  log: { maxBytes: number; maxFiles: number };
}

export const DEFAULT_PERSIST_CONFIG: PersistConfig = {
  matrix: { live: {}, backtest: {} },
  storageCap: { live: 1_000, backtest: 10_000 },
  log: { maxBytes: 10 * 1024 * 1024, maxFiles: 5 },
};

/** The configuration names a subsystem or adapter that does not exist, or pairs them wrongly. */
export class MatrixConfigError extends Error {
  constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(`Invalid persistence configuration (${source}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'MatrixConfigError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isSubsystem = (name: string): name is Subsystem => (SUBSYSTEMS as readonly string[]).includes(name);
const isAdapter = (name: string): name is AdapterName => (ADAPTERS as readonly string[]).includes(name);

/** Checks one column of overrides; problems are reported with their path (e.g. `matrix.live.sesion`). */
export function overrideProblems(overrides: unknown, path: string): string[] {
  if (overrides === undefined) return [];
  if (!isRecord(overrides)) return [`${path} must be an object of subsystem → adapter`];
  const problems: string[] = [];
  for (const [subsystem, adapter] of Object.entries(overrides)) {
    if (!isSubsystem(subsystem)) {
      problems.push(`${path}.${subsystem}: unknown subsystem "${subsystem}" (known: ${SUBSYSTEMS.join(', ')})`);
      continue;
    }
    if (typeof adapter !== 'string' || !isAdapter(adapter)) {
      problems.push(`${path}.${subsystem}: unknown adapter ${JSON.stringify(adapter)} (known: ${ADAPTERS.join(', ')})`);
      continue;
    }
    const allowed = SUBSYSTEM_DEFS[subsystem].allowed as readonly AdapterName[];
    if (!allowed.includes(adapter)) {
      problems.push(`${path}.${subsystem}: the ${subsystem} subsystem cannot use the ${adapter} adapter (it can use: ${allowed.join(', ')})`);
    }
  }
  return problems;
}

function positiveInteger(value: unknown, path: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    problems.push(`${path} must be a whole number >= 1, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

/**
 * Validates a configuration object (typically parsed JSON) and fills in the defaults. Every
 * problem is collected so the user sees them all at once.
 */
export function parsePersistConfig(input: unknown, source = 'persistence configuration'): PersistConfig {
  if (input === undefined || input === null) return structuredClone(DEFAULT_PERSIST_CONFIG);
  if (!isRecord(input)) throw new MatrixConfigError(source, ['the configuration must be a JSON object']);
  const problems: string[] = [];
  for (const field of Object.keys(input)) {
    if (!['matrix', 'storageCap', 'log'].includes(field)) problems.push(`${field}: unknown setting (known: matrix, storageCap, log)`);
  }
  const config = structuredClone(DEFAULT_PERSIST_CONFIG);
  const matrix = input.matrix;
  if (matrix !== undefined) {
    if (!isRecord(matrix)) problems.push('matrix must be an object with "live" and/or "backtest"');
    else {
      for (const [mode, overrides] of Object.entries(matrix)) {
        if (!(PERSIST_MODES as readonly string[]).includes(mode)) {
          problems.push(`matrix.${mode}: unknown mode (known: ${PERSIST_MODES.join(', ')})`);
          continue;
        }
        const found = overrideProblems(overrides, `matrix.${mode}`);
        problems.push(...found);
        if (found.length === 0 && overrides !== undefined) config.matrix[mode as PersistMode] = overrides as MatrixOverrides;
      }
    }
  }
  if (input.storageCap !== undefined) {
    if (!isRecord(input.storageCap)) problems.push('storageCap must be an object {live, backtest}');
    else {
      for (const mode of PERSIST_MODES) {
        const cap = positiveInteger(input.storageCap[mode], `storageCap.${mode}`, problems);
        if (cap !== undefined) config.storageCap[mode] = cap;
      }
    }
  }
  if (input.log !== undefined) {
    if (!isRecord(input.log)) problems.push('log must be an object {maxBytes, maxFiles}');
    else {
      const maxBytes = positiveInteger(input.log.maxBytes, 'log.maxBytes', problems);
      if (maxBytes !== undefined) config.log.maxBytes = maxBytes;
      if (input.log.maxFiles !== undefined) {
        const maxFiles = input.log.maxFiles;
        if (typeof maxFiles !== 'number' || !Number.isInteger(maxFiles) || maxFiles < 0) problems.push(`log.maxFiles must be a whole number >= 0, got ${JSON.stringify(maxFiles)}`);
        else config.log.maxFiles = maxFiles;
      }
    }
  }
  if (problems.length > 0) throw new MatrixConfigError(source, problems);
  return config;
}

/** Reads and validates a JSON configuration file; a syntax error names the file and position. */
export function persistConfigFromFile(path: string): PersistConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MatrixConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MatrixConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parsePersistConfig(json, path);
}

/** Environment variable naming a JSON file that overrides the defaults (see the README, "Persistence: the adapter matrix"). */
export const PERSIST_CONFIG_ENV = 'BACKTEST_MONITOR_PERSIST_CONFIG';

export function persistConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PersistConfig {
  const path = env[PERSIST_CONFIG_ENV]?.trim();
  return path ? persistConfigFromFile(path) : structuredClone(DEFAULT_PERSIST_CONFIG);
}

export interface RunMatrixRequest {
  mode: PersistMode;
  /** Cells this run overrides on top of the configuration. */
  overrides?: MatrixOverrides;
}

/**
 * The adapter of every subsystem for a mode or a run, with where each choice came from; what the
 * UI shows. Throws MatrixConfigError for a bad run override.
 */
export function effectiveMatrix(modeOrRun: PersistMode | RunMatrixRequest, config: PersistConfig = DEFAULT_PERSIST_CONFIG): EffectiveAdapter[] {
  const run: RunMatrixRequest = typeof modeOrRun === 'string' ? { mode: modeOrRun } : modeOrRun;
  if (!(PERSIST_MODES as readonly string[]).includes(run.mode)) {
    throw new MatrixConfigError('run', [`mode: unknown mode ${JSON.stringify(run.mode)} (known: ${PERSIST_MODES.join(', ')})`]);
  }
  const problems = overrideProblems(run.overrides, 'run.overrides');
  if (problems.length > 0) throw new MatrixConfigError('run', problems);
  const configured = config.matrix[run.mode];
  return SUBSYSTEMS.map((subsystem) => {
    const fromRun = run.overrides?.[subsystem];
    const fromConfig = configured[subsystem];
    return {
      subsystem,
      adapter: fromRun ?? fromConfig ?? DEFAULT_MATRIX[run.mode][subsystem],
      source: fromRun ? 'run' : fromConfig ? 'config' : 'default',
      holds: SUBSYSTEM_DEFS[subsystem].holds,
    };
  });
}

/** Both columns side by side, as DESIGN.md's table. */
export function matrixTable(config: PersistConfig = DEFAULT_PERSIST_CONFIG): MatrixRow[] {
  const live = effectiveMatrix('live', config);
  const backtest = effectiveMatrix('backtest', config);
  return SUBSYSTEMS.map((subsystem, i) => ({ subsystem, live: live[i]!.adapter, backtest: backtest[i]!.adapter, holds: SUBSYSTEM_DEFS[subsystem].holds }));
}

/** Fails when the matrix needs MongoDB and no connection was given. */
export function assertConnectionAvailable(matrix: readonly EffectiveAdapter[], mode: PersistMode, hasConnection: boolean): void {
  if (hasConnection) return;
  const needing = matrix.filter((m) => m.adapter === 'mongodb').map((m) => m.subsystem);
  if (needing.length > 0) {
    throw new MatrixConfigError(`${mode} mode`, [
      `${needing.join(', ')} ${needing.length === 1 ? 'uses' : 'use'} the mongodb adapter, but no MongoDB connection was given`,
    ]);
  }
}
