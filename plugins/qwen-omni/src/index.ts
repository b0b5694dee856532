/** @omni-r1/plugin-qwen-omni: the Qwen2.5-Omni thinker as an omni-r1 policy backend. */
export { qwenOmniBackends } from './hooks/backends.js';
export * from './model/index.js';
export * from './generate/index.js';
export { POLICY_BACKEND_NAME, QwenOmniPolicy, TextStream, type MultimodalProcessor, type ProcessorContext, type QwenCompletion, type QwenOmniPolicyOptions } from './policy.js';
export { createQwenOmniPolicy, resolvePolicyFolder } from './hooks/backends.js';
export * from './processor/index.js';
export * from './vision/index.js';
export * from './audio/index.js';
export { FolderMultimodalProcessor, type FolderProcessorOptions } from './processor-binding.js';
export { QwenTrainablePolicy, type TrainableEstimate } from './trainable.js';
export * from './nano/index.js';
export { TrainingMediaEncoders, type TrainingMediaConfig } from './training/media-encoders.js';
export { useAudioInVideoOf, type TrainingPrompt } from './training/prompt.js';
