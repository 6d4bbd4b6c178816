import { parse as parseYaml } from 'yaml';
import { parseRemapRule, type RemapRule } from './names';
import { type LogLevel, parseLogLevel } from './logging';

/** What `--ros-args … [--]` carries for the nodes of one process (rcl_arguments semantics). */
export interface RosArguments {
  readonly remaps: RemapRule[];
  readonly paramsFiles: string[];
  /** -p name:=value (node-specific 'node:name:=value' keeps the prefix in `node`). */
  readonly params: { node?: string; name: string; value: unknown }[];
  readonly logLevels: { logger?: string; level: LogLevel }[];
  /** Arguments outside --ros-args sections, for the program itself. */
  readonly rest: string[];
}

export class RosArgumentsError extends Error {
  constructor(message: string) {
    super(`--ros-args: ${message}`);
    this.name = 'RosArgumentsError';
  }
}

/** Parses the value of `-p name:=value` as ROS does: a YAML scalar or flow sequence. */
function parseParamValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

export function parseRosArguments(argv: readonly string[]): RosArguments {
  const out: RosArguments = { remaps: [], paramsFiles: [], params: [], logLevels: [], rest: [] };
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ros-args') {
      inRos = true;
      continue;
    }
    if (!inRos) {
      out.rest.push(arg);
      continue;
    }
    if (arg === '--') {
      inRos = false;
      continue;
    }
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new RosArgumentsError(`'${arg}' needs a value`);
      return v;
    };
    switch (arg) {
      case '-r':
      case '--remap':
        out.remaps.push(parseRemapRule(next()));
        break;
      case '--params-file':
        out.paramsFiles.push(next());
        break;
      case '-p':
      case '--param': {
        const text = next();
        const idx = text.indexOf(':=');
        if (idx <= 0) throw new RosArgumentsError(`parameter '${text}' is not 'name:=value'`);
        const lhs = text.slice(0, idx);
        const colon = lhs.indexOf(':');
        const value = parseParamValue(text.slice(idx + 2));
        if (colon > 0) out.params.push({ node: lhs.slice(0, colon), name: lhs.slice(colon + 1), value });
        else out.params.push({ name: lhs, value });
        break;
      }
      case '--log-level': {
        const text = next();
        const idx = text.indexOf(':=');
        if (idx > 0)
          out.logLevels.push({ logger: text.slice(0, idx), level: parseLogLevel(text.slice(idx + 2)) });
        else out.logLevels.push({ level: parseLogLevel(text) });
        break;
      }
      case '-e':
      case '--enclave':
        next(); // security enclaves have no meaning on the in-process bus
        break;
      case '--disable-rosout-logs':
      case '--enable-rosout-logs':
      case '--disable-stdout-logs':
      case '--enable-stdout-logs':
      case '--disable-external-lib-logs':
        break;
      default:
        throw new RosArgumentsError(`unknown argument '${arg}'`);
    }
  }
  return out;
}
