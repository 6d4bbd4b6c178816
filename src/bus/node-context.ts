import {
  applyIdentityRemaps,
  normalizeNamespace,
  type NodeIdentity,
  type RemapRule,
  validateNodeName,
} from './names';
import { loadParamsFile, overridesForNode, type ParameterOverride, type ParamsFile } from './parameters';
import { parseRosArguments, type RosArguments } from './ros-args';
import { type CreateNodeOptions } from './types';

/** Everything about a node that follows from its name, namespace and the `--ros-args` in force. */
export interface NodeContext {
  readonly identity: NodeIdentity;
  readonly fullyQualifiedName: string;
  /** Node-local rules first: they take precedence over the process-wide ones, as in rcl. */
  readonly remaps: readonly RemapRule[];
  readonly overrides: ReadonlyMap<string, ParameterOverride>;
}

export function fullyQualified(identity: NodeIdentity): string {
  return identity.namespace === '/' ? `/${identity.name}` : `${identity.namespace}/${identity.name}`;
}

export function buildNodeContext(
  name: string,
  options: CreateNodeOptions,
  processArgs: RosArguments,
  readParamsFile: (path: string) => ParamsFile = loadParamsFile,
): NodeContext {
  const local = parseRosArguments(['--ros-args', ...(options.arguments ?? [])]);
  const remaps = [...local.remaps, ...processArgs.remaps];
  const identity = applyIdentityRemaps(
    { name: validateNodeName(name), namespace: normalizeNamespace(options.namespace) },
    [...processArgs.remaps, ...local.remaps].filter((r) => r.from.startsWith('__')),
  );
  const fqn = fullyQualified(identity);
  const files = [...processArgs.paramsFiles, ...local.paramsFiles].map(readParamsFile);
  const cli = new Map<string, unknown>();
  for (const p of [...processArgs.params, ...local.params]) {
    if (p.node === undefined || p.node === identity.name || p.node === fqn) cli.set(p.name, p.value);
  }
  const overrides = overridesForNode(fqn, files, cli);
  for (const [k, v] of Object.entries(options.parameterOverrides ?? {})) {
    overrides.set(k, { value: v, source: 'launch parameters' });
  }
  return { identity, fullyQualifiedName: fqn, remaps, overrides };
}
