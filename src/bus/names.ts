/**
 * ROS 2 name expansion and remapping (design article "Topic and Service name mapping to DDS" and
 * rcl's remap rules): `~` is the node's private namespace, relative names join the node's
 * namespace, `{node}` and `{ns}` are substituted, and `from:=to` rules match fully expanded names.
 */

export class InvalidNameError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid ROS name '${input}': ${reason}`);
    this.name = 'InvalidNameError';
  }
}

const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateNodeName(name: string): string {
  if (!TOKEN.test(name)) {
    throw new InvalidNameError(
      name,
      'a node name is letters, digits and underscores, not starting with a digit',
    );
  }
  return name;
}

/** Normalises a namespace to '/' or '/a/b' and checks its tokens. */
export function normalizeNamespace(ns: string | undefined): string {
  if (!ns || ns === '/') return '/';
  const abs = ns.startsWith('/') ? ns : `/${ns}`;
  const trimmed = abs.endsWith('/') ? abs.slice(0, -1) : abs;
  for (const token of trimmed.slice(1).split('/')) {
    if (!TOKEN.test(token))
      throw new InvalidNameError(ns, `namespace token '${token}' is not a valid name token`);
  }
  return trimmed;
}

function join(ns: string, rest: string): string {
  return ns === '/' ? `/${rest}` : `${ns}/${rest}`;
}

/** Expands a topic or service name for a node to its fully qualified form. */
export function expandName(name: string, nodeName: string, namespace: string): string {
  if (name.length === 0) throw new InvalidNameError(name, 'empty name');
  const ns = normalizeNamespace(namespace);
  let n = name.replace(/\{node\}/g, nodeName).replace(/\{ns\}/g, ns === '/' ? '' : ns.slice(1));
  if (/[{}]/.test(n)) throw new InvalidNameError(name, 'unknown substitution (only {node} and {ns})');
  if (n === '~') n = join(ns, nodeName);
  else if (n.startsWith('~/')) n = join(join(ns, nodeName), n.slice(2));
  else if (n.startsWith('~')) throw new InvalidNameError(name, "'~' must be followed by '/'");
  else if (!n.startsWith('/')) n = join(ns, n);
  if (n.endsWith('/') && n !== '/') throw new InvalidNameError(name, 'ends with /');
  if (n.includes('//')) throw new InvalidNameError(name, 'contains //');
  for (const token of n.slice(1).split('/')) {
    if (!TOKEN.test(token)) throw new InvalidNameError(name, `token '${token}' is not a valid name token`);
  }
  return n;
}

export interface RemapRule {
  /** Only for this node name, when set ('node:from:=to'). */
  readonly node?: string;
  readonly from: string;
  readonly to: string;
}

/** Parses 'from:=to' or 'node:from:=to'. */
export function parseRemapRule(rule: string): RemapRule {
  const idx = rule.indexOf(':=');
  if (idx <= 0 || idx === rule.length - 2) throw new InvalidNameError(rule, "a remap rule is 'from:=to'");
  const lhs = rule.slice(0, idx);
  const to = rule.slice(idx + 2);
  const colon = lhs.indexOf(':');
  if (colon > 0) return { node: lhs.slice(0, colon), from: lhs.slice(colon + 1), to };
  return { from: lhs, to };
}

/** Rules with a special meaning (`__ns`, `__node`/`__name`) vs. name remaps. */
export interface NodeIdentity {
  name: string;
  namespace: string;
}

export function applyIdentityRemaps(identity: NodeIdentity, rules: readonly RemapRule[]): NodeIdentity {
  let { name, namespace } = identity;
  for (const r of rules) {
    if (r.node && r.node !== identity.name) continue;
    if (r.from === '__ns') namespace = normalizeNamespace(r.to);
    if (r.from === '__node' || r.from === '__name') name = validateNodeName(r.to);
  }
  return { name, namespace: normalizeNamespace(namespace) };
}

/**
 * Resolves a name the way rcl_remap_topic_name does: expand, then the first matching rule (node
 * specific or global, in order) wins; its target is expanded in the node's namespace too.
 */
export function resolveName(name: string, identity: NodeIdentity, rules: readonly RemapRule[]): string {
  const expanded = expandName(name, identity.name, identity.namespace);
  for (const r of rules) {
    if (r.from.startsWith('__')) continue;
    if (r.node && r.node !== identity.name) continue;
    if (expandName(r.from, identity.name, identity.namespace) === expanded) {
      return expandName(r.to, identity.name, identity.namespace);
    }
  }
  return expanded;
}
