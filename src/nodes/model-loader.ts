// What every model-running node shares: the model parameters and opening the manifest's model with
// execution-provider fallback, so a missing, corrupt or wrong model stops the node with one line.
import * as path from 'node:path';
import { type BusNode, param } from '../bus';
import { PACKAGE_ROOT } from '../msg';
import { type ModelManifest } from '../models/manifest';
import { type ModelSession, openModel } from '../models/session';

export function modelParameters(defaultModel: string, defaultThreads: number) {
  return {
    model_file_path: param.string(defaultModel, 'Model manifest (relative paths: to the package)', {
      readOnly: true,
    }),
    execution_providers: param.stringArray(['cpu'], 'onnxruntime execution providers, tried in order', {
      readOnly: true,
    }),
    intra_op_threads: param.integer(
      defaultThreads,
      'onnxruntime intra-op threads (0 = its default; 1 is fastest for the small models on 2 cores)',
      { range: { from: 0, to: 256 }, readOnly: true },
    ),
  };
}

/** Opens the node's model; on failure destroys the node and throws `<node>: <reason>`. */
export async function openNodeModel(
  node: BusNode,
  p: { model_file_path: string; execution_providers: string[]; intra_op_threads: number },
  task: ModelManifest['task'],
): Promise<ModelSession> {
  const manifest = path.isAbsolute(p.model_file_path)
    ? p.model_file_path
    : path.join(PACKAGE_ROOT, p.model_file_path);
  let session: ModelSession;
  try {
    session = await openModel(manifest, {
      executionProviders: p.execution_providers,
      intraOpThreads: p.intra_op_threads,
      onFallback: (provider, reason) =>
        node.logger.warn(`execution provider ${provider} unavailable (${reason}); trying the next`),
      warmupRuns: 3,
    });
  } catch (err) {
    node.destroy();
    throw new Error(`${node.name}: ${(err as Error).message}`, { cause: err });
  }
  if (session.manifest.task !== task) {
    await session.release();
    node.destroy();
    throw new Error(`${node.name}: ${manifest} is a ${session.manifest.task} model, not a ${task} model`);
  }
  return session;
}
