import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** rcl_interfaces/ParameterType names. */
export type ParameterType =
  'bool' | 'integer' | 'double' | 'string' | 'bool_array' | 'integer_array' | 'double_array' | 'string_array';

export type ParameterValue = boolean | number | string | boolean[] | number[] | string[];

export interface NumericRange {
  readonly from: number;
  readonly to: number;
  /** 0 = any value in range (ROS convention). */
  readonly step?: number;
}

/** rcl_interfaces/ParameterDescriptor, as far as this package uses it. */
export interface ParameterDescriptor {
  readonly type: ParameterType;
  readonly description: string;
  readonly readOnly: boolean;
  readonly range?: NumericRange;
  /** For strings: the allowed values (also written to additional_constraints). */
  readonly choices?: readonly string[];
  readonly additionalConstraints?: string;
}

/** A parameter's descriptor, default and the zod schema that validates every value it takes. */
export interface ParameterSpec<T extends ParameterValue = ParameterValue> {
  readonly descriptor: ParameterDescriptor;
  readonly default: T;
  readonly schema: z.ZodType<T>;
}

export type ParameterSpecs = Record<string, ParameterSpec>;
export type ParameterValues<S extends ParameterSpecs> = {
  -readonly [K in keyof S]: S[K] extends ParameterSpec<infer T> ? T : never;
};

interface Options {
  readOnly?: boolean;
}
interface RangeOptions extends Options {
  range?: NumericRange;
}

function ranged(schema: z.ZodNumber, range: NumericRange | undefined): z.ZodNumber {
  return range ? schema.min(range.from).max(range.to) : schema;
}

function spec<T extends ParameterValue>(
  type: ParameterType,
  def: T,
  description: string,
  schema: z.ZodType<T>,
  extra: Partial<ParameterDescriptor> = {},
): ParameterSpec<T> {
  return { default: def, schema, descriptor: { type, description, readOnly: false, ...extra } };
}

/** Builders for parameter specs: `param.double(0.5, 'Score threshold', { range: { from: 0, to: 1 } })`. */
export const param = {
  bool: (def: boolean, description: string, o: Options = {}) =>
    spec('bool', def, description, z.boolean(), { readOnly: !!o.readOnly }),
  integer: (def: number, description: string, o: RangeOptions = {}) =>
    spec('integer', def, description, ranged(z.number().int(), o.range), {
      readOnly: !!o.readOnly,
      range: o.range,
    }),
  double: (def: number, description: string, o: RangeOptions = {}) =>
    spec('double', def, description, ranged(z.number(), o.range), { readOnly: !!o.readOnly, range: o.range }),
  string: (def: string, description: string, o: Options & { choices?: readonly string[] } = {}) =>
    spec(
      'string',
      def,
      description,
      o.choices ? (z.enum(o.choices as [string, ...string[]]) as z.ZodType<string>) : z.string(),
      {
        readOnly: !!o.readOnly,
        choices: o.choices,
        additionalConstraints: o.choices ? `one of: ${o.choices.join(', ')}` : undefined,
      },
    ),
  stringArray: (def: string[], description: string, o: Options = {}) =>
    spec('string_array', def, description, z.array(z.string()), { readOnly: !!o.readOnly }),
  doubleArray: (def: number[], description: string, o: RangeOptions & { length?: number } = {}) =>
    spec(
      'double_array',
      def,
      description,
      o.length === undefined
        ? z.array(ranged(z.number(), o.range))
        : z.array(ranged(z.number(), o.range)).length(o.length),
      { readOnly: !!o.readOnly, range: o.range },
    ),
  integerArray: (def: number[], description: string, o: RangeOptions = {}) =>
    spec('integer_array', def, description, z.array(ranged(z.number().int(), o.range)), {
      readOnly: !!o.readOnly,
      range: o.range,
    }),
  boolArray: (def: boolean[], description: string, o: Options = {}) =>
    spec('bool_array', def, description, z.array(z.boolean()), { readOnly: !!o.readOnly }),
};

/** A parameter value that breaks its descriptor: names the parameter, the node and where it came from. */
export class ParameterValidationError extends Error {
  constructor(
    readonly parameter: string,
    readonly node: string,
    readonly source: string,
    readonly problem: string,
  ) {
    super(`parameter '${parameter}' of node '${node}' (${source}): ${problem}`);
    this.name = 'ParameterValidationError';
  }
}

export class ParamsFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`params file ${file}: ${problem}`);
    this.name = 'ParamsFileError';
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(describeValue).join(', ')}]`;
  if (v === null || v === undefined) return 'nothing';
  return String(v);
}

/**
 * Checks a value against a spec; ROS-style coercion: an integer is accepted for a double (YAML
 * writes `1` for 1.0), nothing else is converted.
 */
export function checkParameterValue<T extends ParameterValue>(
  name: string,
  spec: ParameterSpec<T>,
  value: unknown,
  node: string,
  source: string,
): T {
  const result = spec.schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? ` at index ${issue.path.join('.')}` : '';
  const expected =
    spec.descriptor.range !== undefined
      ? `${spec.descriptor.type} in [${spec.descriptor.range.from}, ${spec.descriptor.range.to}]`
      : spec.descriptor.choices
        ? `one of ${spec.descriptor.choices.map((c) => JSON.stringify(c)).join(', ')}`
        : spec.descriptor.type;
  throw new ParameterValidationError(
    name,
    node,
    source,
    `expected ${expected}, got ${describeValue(value)}${where} (${issue.message})`,
  );
}

/** One `node_pattern: ros__parameters: {…}` block of a params file, flattened to dotted names. */
export interface ParamsFileEntry {
  readonly nodePattern: string;
  readonly values: ReadonlyMap<string, unknown>;
}

export interface ParamsFile {
  readonly path: string;
  readonly entries: readonly ParamsFileEntry[];
}

function flatten(prefix: string, obj: unknown, out: Map<string, unknown>, file: string): void {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      flatten(prefix ? `${prefix}.${k}` : k, v, out, file);
    }
    return;
  }
  if (obj === null) throw new ParamsFileError(file, `parameter '${prefix}' has no value`);
  out.set(prefix, obj);
}

/** Parses a ROS 2 params file (`/**`, `/ns/node`, `node` keys; nested namespaces; `ros__parameters`). */
export function parseParamsFile(text: string, file: string): ParamsFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ParamsFileError(file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { path: file, entries: [] };
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ParamsFileError(file, 'top level must be a mapping');
  const entries: ParamsFileEntry[] = [];
  const walk = (prefix: string, node: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'ros__parameters') {
        const values = new Map<string, unknown>();
        if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
          throw new ParamsFileError(file, `'ros__parameters' of '${prefix}' must be a mapping`);
        }
        flatten('', value ?? {}, values, file);
        entries.push({ nodePattern: prefix || '/**', values });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ParamsFileError(
          file,
          `'${prefix ? `${prefix}/` : ''}${key}' must contain 'ros__parameters' (found a ${Array.isArray(value) ? 'list' : typeof value})`,
        );
      }
      const joined = prefix ? `${prefix.replace(/\/$/, '')}/${key.replace(/^\//, '')}` : key;
      walk(joined, value as Record<string, unknown>);
    }
  };
  walk('', doc as Record<string, unknown>);
  return { path: file, entries };
}

export function loadParamsFile(path: string): ParamsFile {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ParamsFileError(
      path,
      `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseParamsFile(text, path);
}

/** rcl's node-name matching for params files: '*' is one token, '**' any number (incl. none). */
export function nodePatternMatches(pattern: string, fullyQualifiedName: string): boolean {
  const pat = (pattern.startsWith('/') ? pattern : `/${pattern}`).split('/').filter(Boolean);
  const name = fullyQualifiedName.split('/').filter(Boolean);
  // A bare node name ('perception_node') matches that node in the root namespace only.
  const match = (pi: number, ni: number): boolean => {
    if (pi === pat.length) return ni === name.length;
    if (pat[pi] === '**') {
      for (let k = ni; k <= name.length; k++) if (match(pi + 1, k)) return true;
      return false;
    }
    if (ni === name.length) return false;
    return (pat[pi] === '*' || pat[pi] === name[ni]) && match(pi + 1, ni + 1);
  };
  return match(0, 0);
}

export interface ParameterOverride {
  readonly value: unknown;
  /** Where it came from, for error messages: a file path or 'command line'. */
  readonly source: string;
}

/** Overrides for one node from params files (later files and later blocks win), then -p arguments. */
export function overridesForNode(
  fullyQualifiedName: string,
  files: readonly ParamsFile[],
  commandLine: ReadonlyMap<string, unknown> = new Map(),
): Map<string, ParameterOverride> {
  const out = new Map<string, ParameterOverride>();
  for (const file of files) {
    for (const entry of file.entries) {
      if (!nodePatternMatches(entry.nodePattern, fullyQualifiedName)) continue;
      for (const [k, v] of entry.values) out.set(k, { value: v, source: file.path });
    }
  }
  for (const [k, v] of commandLine) out.set(k, { value: v, source: 'command line (-p)' });
  return out;
}
