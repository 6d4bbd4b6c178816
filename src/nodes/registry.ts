import { type Bus, type BusNode, type CreateNodeOptions } from '../bus';
import { type Diagnostics } from './diagnostics';

/** A node started by `grasp-perception run <name>`, a launch file, or the demo. */
export interface RunningNode {
  readonly node: BusNode;
  readonly diagnostics?: Diagnostics;
  /** Resolves when work already received is done (replay waits on it so no frame is dropped). */
  idle?(): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeEntry {
  readonly description: string;
  start(bus: Bus, options: CreateNodeOptions): Promise<RunningNode>;
}

const entries = new Map<string, NodeEntry>();

/** Nodes register themselves at import (src/nodes/index.ts imports them all). */
export function registerNode(name: string, entry: NodeEntry): void {
  if (entries.has(name)) throw new Error(`node '${name}' registered twice`);
  entries.set(name, entry);
}

export class UnknownNodeError extends Error {
  constructor(name: string) {
    super(`unknown node '${name}' (available: ${[...entries.keys()].sort().join(', ') || 'none'})`);
    this.name = 'UnknownNodeError';
  }
}

export function nodeEntry(name: string): NodeEntry {
  const e = entries.get(name);
  if (!e) throw new UnknownNodeError(name);
  return e;
}

export function nodeNames(): string[] {
  return [...entries.keys()].sort();
}
