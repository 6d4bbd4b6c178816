// onnxruntime-node session behind the manifest contract: execution providers as configuration with
// fallback down the list, thread count, warm-up, and float32 outputs by name.
import * as ort from 'onnxruntime-node';
import { type LoadedManifest, loadManifest, type ModelManifest } from './manifest';

export const EXECUTION_PROVIDERS = ['tensorrt', 'cuda', 'dml', 'coreml', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface SessionOptions {
  /** Tried in order; the first that creates a session is used. Default ['cpu']. */
  executionProviders?: readonly string[];
  /** onnxruntime intra-op threads (0 = onnxruntime's default). */
  intraOpThreads?: number;
  /** Called once per provider that could not be used, with the reason. */
  onFallback?: (provider: string, reason: string) => void;
  warmupRuns?: number;
}

export interface ModelSession {
  readonly manifest: ModelManifest;
  readonly file: string;
  readonly provider: string;
  /** Runs the model on one input tensor (the manifest's shape) and returns every output as float32. */
  run(input: Float32Array): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** onnxruntime's errors for a model file that cannot be parsed, whatever the provider. */
const MODEL_FILE_UNREADABLE = /^Load model from .* failed|Protobuf parsing failed|INVALID_PROTOBUF/;

/** Opens the model a manifest describes; throws one readable ModelLoadError/ModelManifestError on failure. */
export async function openModel(manifestFile: string, options: SessionOptions = {}): Promise<ModelSession> {
  const loaded = loadManifest(manifestFile);
  return openLoadedModel(loaded, options);
}

export async function openLoadedModel(loaded: LoadedManifest, options: SessionOptions = {}): Promise<ModelSession> {
  const providers = options.executionProviders?.length ? options.executionProviders : ['cpu'];
  const unknown = providers.filter((p) => !(EXECUTION_PROVIDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new ModelLoadError(
      `unknown execution provider ${unknown.join(', ')} (known: ${EXECUTION_PROVIDERS.join(', ')})`,
    );
  }
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name));
  let session: ort.InferenceSession | undefined;
  let provider = '';
  let lastError = '';
  for (const p of providers) {
    if (!supported.has(p)) {
      options.onFallback?.(p, `not in this onnxruntime-node build (has ${[...supported].join(', ')})`);
      continue;
    }
    try {
      session = await ort.InferenceSession.create(loaded.modelPath, {
        executionProviders: [p],
        intraOpNumThreads: options.intraOpThreads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      provider = p;
      break;
    } catch (err) {
      lastError = (err as Error).message.split('\n')[0];
      // The file itself does not parse: no other provider can load it, and it is not the provider's fault.
      if (MODEL_FILE_UNREADABLE.test(lastError)) {
        throw new ModelLoadError(
          `${loaded.modelPath}: not a loadable ONNX model (${lastError.replace(/^Load model from .* failed:\s*/, '')}); the file is corrupt or not ONNX`,
        );
      }
      options.onFallback?.(p, lastError);
    }
  }
  if (!session) {
    throw new ModelLoadError(
      `${loaded.modelPath}: no execution provider of [${providers.join(', ')}] could load it${lastError ? ` (${lastError})` : ''}`,
    );
  }
  const m = loaded.manifest;
  const missing = m.outputs.map((o) => o.name).filter((n) => !session.outputNames.includes(n));
  if (!session.inputNames.includes(m.input.name) || missing.length > 0) {
    await session.release();
    throw new ModelLoadError(
      `${loaded.modelPath}: does not match ${loaded.file} (input ${m.input.name}${missing.length ? `, outputs ${missing.join(', ')}` : ''} missing)`,
    );
  }
  const shape = [...m.input.shape];
  const size = shape.reduce((a, b) => a * b, 1);
  const s = session;
  const run = async (input: Float32Array): Promise<Record<string, Float32Array>> => {
    if (input.length !== size) {
      throw new ModelLoadError(`${m.name}: input has ${input.length} values, the model takes ${size} (${shape.join('x')})`);
    }
    const res = await s.run({ [m.input.name]: new ort.Tensor('float32', input, shape) });
    const out: Record<string, Float32Array> = {};
    for (const o of m.outputs) out[o.name] = res[o.name].data as Float32Array;
    return out;
  };
  const warm = new Float32Array(size);
  for (let i = 0; i < (options.warmupRuns ?? 2); i++) await run(warm);
  return { manifest: m, file: loaded.file, provider, run, release: () => s.release() };
}
