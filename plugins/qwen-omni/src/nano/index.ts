/** The nano thinker: a tiny Qwen2.5-Omni thinker written in the real checkpoint formats, and what it is made of. */
export { bytesToUnicode, QWEN2_PRETOKENIZER_REGEX, trainByteLevelBpe, type ByteLevelBpe } from './byte-level-bpe.js';
export { QWEN2_CHAT_TEMPLATE, QWEN_OMNI_CHAT_TEMPLATE } from './chat-templates.js';
export { nanoAudioConfigJson, nanoThinkerConfig, nanoVisionConfigJson, type NanoAudioSize, type NanoTextSize, type NanoThinkerConfig, type NanoVisionSize } from './config.js';
export { nanoTokenizerCorpus, synthExpressions } from './corpus.js';
export { initialWeights, isNormWeight, normalSampler, type TensorShape } from './init-weights.js';
export {
  initNanoThinker,
  nanoThinkerConfigJson,
  nanoTokenizer,
  thinkerTensorShapes,
  writeNanoThinkerCheckpoint,
  type NanoThinkerCheckpoint,
  type NanoThinkerOptions,
} from './checkpoint.js';
