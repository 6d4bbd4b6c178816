import {
  checkParameterValue,
  type ParameterDescriptor,
  type ParameterOverride,
  type ParameterSpec,
  type ParameterSpecs,
  type ParameterValue,
  type ParameterValues,
  ParameterValidationError,
} from './parameters';
import { type OnSetParametersCallback, type SetParametersResult } from './types';

/**
 * A node's parameters: declaration with overrides, descriptor validation, read-only protection and
 * on-set callbacks with veto. Both buses use it, so validation has one implementation.
 */
export class NodeParameters {
  private readonly specs = new Map<string, ParameterSpec>();
  private readonly values = new Map<string, ParameterValue>();
  private readonly onSet: OnSetParametersCallback[] = [];
  private readonly onChanged: ((changes: ReadonlyMap<string, ParameterValue>) => void)[] = [];

  constructor(
    private readonly nodeName: string,
    private readonly overrides: ReadonlyMap<string, ParameterOverride>,
  ) {}

  declare<T extends ParameterValue>(name: string, spec: ParameterSpec<T>): T {
    if (this.specs.has(name)) {
      throw new ParameterValidationError(name, this.nodeName, 'declaration', 'declared twice');
    }
    const override = this.overrides.get(name);
    const value = override
      ? checkParameterValue(name, spec, override.value, this.nodeName, override.source)
      : checkParameterValue(name, spec, spec.default, this.nodeName, 'default value');
    this.specs.set(name, spec as ParameterSpec);
    this.values.set(name, value);
    return value;
  }

  declareAll<S extends ParameterSpecs>(specs: S): ParameterValues<S> {
    const out: Record<string, ParameterValue> = {};
    for (const [name, spec] of Object.entries(specs)) out[name] = this.declare(name, spec);
    return out as ParameterValues<S>;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  get<T extends ParameterValue = ParameterValue>(name: string): T {
    if (!this.values.has(name)) {
      throw new ParameterValidationError(name, this.nodeName, 'get', 'not declared');
    }
    return this.values.get(name) as T;
  }

  describe(name: string): ParameterDescriptor {
    const spec = this.specs.get(name);
    if (!spec) throw new ParameterValidationError(name, this.nodeName, 'describe', 'not declared');
    return spec.descriptor;
  }

  names(): string[] {
    return [...this.specs.keys()].sort();
  }

  /** Overrides no declared parameter used: usually a typo in a params file or a `-p` argument. */
  unusedOverrides(): { name: string; source: string }[] {
    return [...this.overrides]
      .filter(([name]) => !this.specs.has(name))
      .map(([name, o]) => ({ name, source: o.source }));
  }

  /**
   * One WARN line per unused override, whatever its source (params file, `-p`, launch), naming the
   * source. use_sim_time is every node's parameter in ROS 2, so it is never reported.
   */
  unusedOverrideWarnings(): string[] {
    return this.unusedOverrides()
      .filter((u) => u.name !== 'use_sim_time')
      .map((u) => `parameter '${u.name}' from ${u.source} is not a parameter of this node; ignored`);
  }

  addOnSetCallback(cb: OnSetParametersCallback): void {
    this.onSet.push(cb);
  }

  addOnChanged(cb: (changes: ReadonlyMap<string, ParameterValue>) => void): void {
    this.onChanged.push(cb);
  }

  set(values: Readonly<Record<string, ParameterValue>>, source = 'set_parameters'): SetParametersResult {
    const changes = new Map<string, ParameterValue>();
    try {
      for (const [name, raw] of Object.entries(values)) {
        const spec = this.specs.get(name);
        if (!spec) throw new ParameterValidationError(name, this.nodeName, source, 'not declared');
        if (spec.descriptor.readOnly)
          throw new ParameterValidationError(name, this.nodeName, source, 'read-only');
        changes.set(name, checkParameterValue(name, spec, raw, this.nodeName, source));
      }
    } catch (err) {
      return { successful: false, reason: (err as Error).message };
    }
    for (const cb of this.onSet) {
      const r = cb(changes);
      if (!r.successful) return r;
    }
    for (const [k, v] of changes) this.values.set(k, v);
    for (const cb of this.onChanged) cb(changes);
    return { successful: true, reason: '' };
  }
}
