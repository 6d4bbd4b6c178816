/** ROS 2 logging: severities, per-logger thresholds and rcutils' default console format. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export function parseLogLevel(text: string): LogLevel {
  const l = text.toLowerCase();
  if (l === 'warning') return 'warn';
  if (l in SEVERITY) return l as LogLevel;
  throw new Error(`unknown log level '${text}' (expected debug, info, warn, error or fatal)`);
}

export interface LogRecord {
  readonly level: LogLevel;
  readonly logger: string;
  readonly message: string;
  /** Wall time, seconds since the epoch. */
  readonly time: number;
}

export type LogSink = (record: LogRecord) => void;

/** rcutils' default: "[INFO] [1700000000.123456789] [ns.node]: message", to stderr. */
export function formatLogRecord(r: LogRecord): string {
  const sec = Math.floor(r.time);
  const ns = Math.round((r.time - sec) * 1e9)
    .toString()
    .padStart(9, '0');
  return `[${r.level.toUpperCase()}] [${sec}.${ns}] [${r.logger}]: ${r.message}`;
}

export const stderrSink: LogSink = (r) => process.stderr.write(`${formatLogRecord(r)}\n`);

export interface Logger {
  readonly name: string;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  fatal(message: string): void;
  /** Logs at most once per `periodSec` for this call site key (RCLCPP_WARN_THROTTLE). */
  throttle(level: LogLevel, key: string, periodSec: number, message: string): void;
  isEnabledFor(level: LogLevel): boolean;
}

/** Thresholds: a default plus per-logger overrides, as `--log-level [name:=]level` sets them. */
export class LogConfig {
  private readonly levels = new Map<string, LogLevel>();
  constructor(
    public defaultLevel: LogLevel = 'info',
    public sink: LogSink = stderrSink,
  ) {}

  setLevel(logger: string | undefined, level: LogLevel): void {
    if (logger === undefined) this.defaultLevel = level;
    else this.levels.set(logger, level);
  }

  threshold(logger: string): LogLevel {
    // A child logger ('a.b') inherits from its parent ('a') as rcutils does.
    for (let name = logger; name; name = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '') {
      const l = this.levels.get(name);
      if (l) return l;
    }
    return this.defaultLevel;
  }
}

export function createLogger(
  name: string,
  config: LogConfig,
  now: () => number = () => Date.now() / 1000,
): Logger {
  const lastThrottled = new Map<string, number>();
  const enabled = (level: LogLevel): boolean => SEVERITY[level] >= SEVERITY[config.threshold(name)];
  const log = (level: LogLevel, message: string): void => {
    if (enabled(level)) config.sink({ level, logger: name, message, time: now() });
  };
  return {
    name,
    debug: (m) => log('debug', m),
    info: (m) => log('info', m),
    warn: (m) => log('warn', m),
    error: (m) => log('error', m),
    fatal: (m) => log('fatal', m),
    isEnabledFor: enabled,
    throttle(level, key, periodSec, message) {
      const t = now();
      const last = lastThrottled.get(key);
      if (last !== undefined && t - last < periodSec) return;
      lastThrottled.set(key, t);
      log(level, message);
    },
  };
}

/** ROS logger names use dots: '/ns/node' → 'ns.node'. */
export function loggerNameFor(fullyQualifiedNodeName: string): string {
  return fullyQualifiedNodeName.replace(/^\//, '').replace(/\//g, '.');
}
