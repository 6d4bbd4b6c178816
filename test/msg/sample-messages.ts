import { type MessageDefinition } from '@foxglove/message-definition';
import { type MessageRegistry } from '../../src/msg';

const TYPED: Record<string, new (n: number) => ArrayLike<number | bigint>> = {
  uint8: Uint8Array,
  byte: Uint8Array,
  char: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** Deterministic non-trivial values for every field, so a round trip exercises the whole definition. */
export function sampleMessage(registry: MessageRegistry, typeName: string, seed = 1): unknown {
  const defs = registry.definitionsFor(typeName);
  const byName = new Map(defs.map((d) => [d.name, d]));
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648);
  const scalar = (type: string): unknown => {
    const v = next();
    switch (type) {
      case 'bool':
        return v % 2 === 0;
      case 'string':
        return `s${v % 1000}`;
      case 'float32':
        return Math.fround((v % 2000) / 8 - 100);
      case 'float64':
        return (v % 100000) / 7 - 5000;
      case 'int64':
        return BigInt(v) - 1000n;
      case 'uint64':
        return BigInt(v);
      case 'time':
      case 'duration':
        return { sec: v % 100000, nanosec: v % 1_000_000_000 };
      case 'int8':
        return (v % 256) - 128;
      case 'int16':
        return (v % 65536) - 32768;
      case 'int32':
        return v - 1_000_000_000;
      case 'uint16':
        return v % 65536;
      case 'uint32':
        return v % 4294967296;
      default:
        return v % 256;
    }
  };
  const build = (def: MessageDefinition, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of def.definitions) {
      if (f.isConstant) continue;
      const len = f.arrayLength ?? (depth > 3 ? 0 : 2 + (next() % 3));
      if (f.isComplex) {
        const sub = byName.get(f.type);
        if (!sub) throw new Error(`no definition for ${f.type}`);
        out[f.name] = f.isArray
          ? Array.from({ length: len }, () => build(sub, depth + 1))
          : build(sub, depth + 1);
      } else if (f.isArray) {
        const ctor = TYPED[f.type];
        if (ctor) {
          const arr = new ctor(len) as unknown as { [i: number]: number | bigint };
          for (let i = 0; i < len; i++) arr[i] = scalar(f.type) as number | bigint;
          out[f.name] = arr;
        } else {
          out[f.name] = Array.from({ length: len }, () => scalar(f.type));
        }
      } else {
        out[f.name] = scalar(f.type);
      }
    }
    return out;
  };
  return build(defs[0], 0);
}
