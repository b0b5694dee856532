import { OmniError, resolveDevice, resolveModelRef, type BackendContext, type BackendsHookResult } from 'omni-r1';
import { POLICY_BACKEND_NAME, QwenOmniPolicy } from '../policy.js';
import { FolderMultimodalProcessor } from '../processor-binding.js';

const FOLDER_HINT = 'pass a folder written by `omni export policy --from CKPT --out DIR`, a model store name, or a hub id pulled with `omni models pull`';

/** `ctx.model` as a policy folder: a local folder, a store name, or a hub id already in the store. */
export async function resolvePolicyFolder(model: string | undefined, omniHome: string): Promise<string> {
  if (model === undefined || model === '') throw new OmniError('the qwen-omni policy needs a model', { exitCode: 2, hint: FOLDER_HINT });
  return (await resolveModelRef(model, { omniHome, what: 'policy model', role: 'policy' })).path;
}

/** Backend options from the config file: `backends.qwen-omni.threads` (onnxruntime intra-op threads). */
function policyOptions(options: Record<string, unknown>): { intraOpNumThreads?: number } {
  const { threads } = options;
  if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads > 0)) {
    throw new OmniError(`backends.${POLICY_BACKEND_NAME}.threads must be a positive whole number, got ${String(threads)}`, { exitCode: 2 });
  }
  return { intraOpNumThreads: threads as number | undefined };
}

export async function createQwenOmniPolicy(ctx: BackendContext): Promise<QwenOmniPolicy> {
  const dir = await resolvePolicyFolder(ctx.model, ctx.omniHome);
  const options = policyOptions(ctx.options);
  const { executionProviders } = await resolveDevice(ctx.device);
  ctx.log(`qwen-omni: loading ${dir} on ${ctx.device}`);
  const sessionOptions = { ...options, executionProviders };
  // Images, video and audio go through the folder's encoders; a video lacking the audio asked for is a warning.
  const processor = new FolderMultimodalProcessor({ session: sessionOptions, warn: ctx.warn });
  return QwenOmniPolicy.load(dir, { ...sessionOptions, processor });
}

export function qwenOmniBackends(): BackendsHookResult {
  return [
    {
      kind: 'policy',
      name: POLICY_BACKEND_NAME,
      description: 'Qwen2.5-Omni thinker (System 1 and System 2 grounding) on ONNX Runtime',
      create: createQwenOmniPolicy,
    },
  ];
}

const hook = async (): Promise<BackendsHookResult> => qwenOmniBackends();
export default hook;
