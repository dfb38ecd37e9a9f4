import type { Interval } from '../../../shared/candles';
import type { Account, CostModel } from '../../../shared/domain/runs';
import type { ParamValue } from '../../../shared/domain/strategies';
import type { SweepObjective } from '../../../shared/domain/optimize';

/** Everything a worker (a thread here, or a process on another machine) needs to run one trial. */
export interface TrialSpec {
  /** `<sweepId>:<phase>:<index>`: the idempotency key (MongoDB _id, BullMQ job id). */
  trialId: string;
  sweepId: string;
  index: number;
  phase: string;
  strategyName: string;
  params: Record<string, ParamValue>;
  exchangeName: string;
  symbols: string[];
  /** The frame's interval: how often the strategy is asked for a signal. */
  interval: Interval;
  /**
   * The candles the trial reads when they are not the frame's: backtest-kit files read the stored
   * 1m candles whatever the frame's interval, as their runs do. Absent: `interval`.
   */
  candleInterval?: Interval;
  /** The trial's window; the candles loaded cover the whole sweep range (plus a strategy's look-back). */
  from: number;
  to: number;
  /** The range the candle cache files cover (the same for every trial of the sweep). */
  cacheFrom: number;
  cacheTo: number;
  costs: CostModel;
  account?: Account;
  scheduleTimeoutMinutes: number;
  /** The worker scores the trial, so a result written by another machine is complete. */
  objective: SweepObjective;
}
