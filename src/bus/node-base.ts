import { type Logger } from './logging';
import { resolveName } from './names';
import { type NodeContext } from './node-context';
import { NodeParameters } from './node-parameters';
import {
  type ParameterDescriptor,
  type ParameterSpec,
  type ParameterSpecs,
  type ParameterValue,
  type ParameterValues,
} from './parameters';
import { type OnSetParametersCallback, type SetParametersResult } from './types';

/** What both buses' nodes share: identity, name resolution and validated parameters. */
export abstract class NodeBase {
  abstract readonly logger: Logger;
  protected readonly params: NodeParameters;

  constructor(protected readonly ctx: NodeContext) {
    this.params = new NodeParameters(ctx.fullyQualifiedName, ctx.overrides);
  }

  get name(): string {
    return this.ctx.identity.name;
  }
  get namespace(): string {
    return this.ctx.identity.namespace;
  }
  get fullyQualifiedName(): string {
    return this.ctx.fullyQualifiedName;
  }

  resolveTopicName(name: string): string {
    return resolveName(name, this.ctx.identity, this.ctx.remaps);
  }
  resolveServiceName(name: string): string {
    return resolveName(name, this.ctx.identity, this.ctx.remaps);
  }

  declareParameter<T extends ParameterValue>(name: string, spec: ParameterSpec<T>): T {
    return this.params.declare(name, spec);
  }

  declareParameters<S extends ParameterSpecs>(specs: S): ParameterValues<S> {
    const out: Record<string, ParameterValue> = {};
    for (const [name, spec] of Object.entries(specs)) out[name] = this.declareParameter(name, spec);
    for (const warning of this.params.unusedOverrideWarnings()) this.logger.warn(warning);
    return out as ParameterValues<S>;
  }

  getParameter<T extends ParameterValue = ParameterValue>(name: string): T {
    return this.params.get<T>(name);
  }
  describeParameter(name: string): ParameterDescriptor {
    return this.params.describe(name);
  }
  listParameters(): string[] {
    return this.params.names();
  }
  setParameters(values: Readonly<Record<string, ParameterValue>>): SetParametersResult {
    return this.params.set(values);
  }
  addOnSetParametersCallback(callback: OnSetParametersCallback): void {
    this.params.addOnSetCallback(callback);
  }
  onParametersChanged(callback: (changes: ReadonlyMap<string, ParameterValue>) => void): void {
    this.params.addOnChanged(callback);
  }
}
