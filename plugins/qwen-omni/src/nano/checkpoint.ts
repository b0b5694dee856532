/**
 * Writes the nano thinker's initial checkpoint: a Qwen2_5OmniThinkerForConditionalGeneration folder in the
 * released model's formats (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
 * chat_template.json, generation_config.json, preprocessor_config.json), with freshly initialised weights and a
 * byte-level BPE learned on the nano corpus, so every loader, `omni train`, `omni export policy` and `omni infer`
 * take it as they take the 7B.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError, writeSafetensors } from 'omni-r1';
import { parseQwenConfig } from '../config.js';
import { audioTowerTensorNames, audioTowerTensorShape } from '../audio/encoder-weights.js';
import { expectedTextTensors } from '../model/weights.js';
import { expectedVisionTensors } from '../vision/weights.js';
import { trainByteLevelBpe, type ByteLevelBpe } from './byte-level-bpe.js';
import { QWEN_OMNI_CHAT_TEMPLATE } from './chat-templates.js';
import {
  addedTokenId,
  defaultMropeSection,
  generationConfigJson,
  numberAddedTokens,
  OMNI_ADDED_TOKENS,
  paddedVocabSize,
  PREPROCESSOR_CONFIG,
  textConfigJson,
  tokenizerConfigJson,
  tokenizerJson,
  writeJson,
  type AddedToken,
} from './checkpoint-files.js';
import { nanoAudioConfigJson, nanoThinkerConfig, nanoVisionConfigJson, type NanoThinkerConfig } from './config.js';
import { nanoTokenizerCorpus } from './corpus.js';
import { initialWeights, type TensorShape } from './init-weights.js';

export interface NanoThinkerOptions {
  /** Seed of the weight init (the tokenizer does not depend on it). Default 0. */
  seed?: number;
  /** Sizes; default nanoThinkerConfig(). */
  config?: NanoThinkerConfig;
}

export interface NanoThinkerCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  /** Regular BPE tokens (ids 0 .. regularVocabSize-1); the added tokens follow. */
  regularVocabSize: number;
  addedTokens: AddedToken[];
  /** Weights written, embedding and towers included. */
  parameters: number;
}

const learned = new Map<number, ByteLevelBpe>();

/** The tokenizer of the nano thinker (the same for every seed; learned once per merge count and process). */
export function nanoTokenizer(mergeCount = nanoThinkerConfig().mergeCount): ByteLevelBpe {
  let bpe = learned.get(mergeCount);
  if (!bpe) learned.set(mergeCount, (bpe = trainByteLevelBpe(nanoTokenizerCorpus(), mergeCount)));
  return bpe;
}

/** config.json of a nano thinker whose regular vocabulary has `regularVocabSize` tokens. */
export function nanoThinkerConfigJson(size: NanoThinkerConfig, regularVocabSize: number, addedTokens: readonly AddedToken[], userTokenId?: number): Record<string, unknown> {
  const { text } = size;
  const headDim = text.hiddenSize / text.numAttentionHeads;
  const id = (content: string) => addedTokenId(addedTokens, content);
  return {
    architectures: ['Qwen2_5OmniThinkerForConditionalGeneration'],
    audio_config: nanoAudioConfigJson(size.audio, text.hiddenSize),
    vision_config: nanoVisionConfigJson(size.vision, text.hiddenSize),
    text_config: {
      ...textConfigJson({
        hidden: text.hiddenSize,
        intermediate: text.intermediateSize,
        layers: text.numHiddenLayers,
        heads: text.numAttentionHeads,
        kvHeads: text.numKeyValueHeads,
        vocabSize: paddedVocabSize(regularVocabSize + addedTokens.length),
        tie: false,
        torchDtype: 'float32',
        omni: true,
        ropeParameters: false,
        mropeSection: defaultMropeSection(headDim),
      }),
      initializer_range: size.initializerRange,
    },
    audio_token_index: id('<|AUDIO|>'),
    image_token_index: id('<|IMAGE|>'),
    video_token_index: id('<|VIDEO|>'),
    audio_start_token_id: id('<|audio_bos|>'),
    audio_end_token_id: id('<|audio_eos|>'),
    vision_start_token_id: id('<|vision_bos|>'),
    vision_end_token_id: id('<|vision_eos|>'),
    vision_token_id: id('<|vision_pad|>'),
    ...(userTokenId === undefined ? {} : { user_token_id: userTokenId }),
    position_id_per_seconds: 25,
    seconds_per_chunk: 2,
    bos_token_id: id('<|im_start|>'),
    eos_token_id: id('<|im_end|>'),
    pad_token_id: id('<|endoftext|>'),
    initializer_range: size.initializerRange,
    model_type: 'qwen2_5_omni_thinker',
    torch_dtype: 'float32',
    transformers_version: '4.52.3',
  };
}

/** Every tensor of a thinker config.json, by its state-dict name (thinker-alone layout). */
export function thinkerTensorShapes(configJson: Record<string, unknown>, file = 'config.json'): TensorShape[] {
  const parsed = parseQwenConfig(configJson, file);
  if (!parsed.thinker) throw new Error(`${file}: not a Qwen2.5-Omni thinker config`);
  const audio = parsed.thinker.audio;
  return [
    ...expectedTextTensors(parsed.text).map(({ name, shape }) => ({ name, shape })),
    ...expectedVisionTensors(parsed.thinker.vision).map(({ name, shape }) => ({ name, shape })),
    ...audioTowerTensorNames(audio).map((name) => ({ name: `audio_tower.${name}`, shape: audioTowerTensorShape(audio, name) })),
    // Real checkpoints carry this (unused) embedding of the audio tower too.
    { name: 'audio_tower.audio_bos_eos_token.weight', shape: [2, audio.outputDim] },
  ];
}

/** Writes a fresh nano thinker into `dir` (created if needed). */
export async function writeNanoThinkerCheckpoint(dir: string, options: NanoThinkerOptions = {}): Promise<NanoThinkerCheckpoint> {
  const size = options.config ?? nanoThinkerConfig();
  const seed = options.seed ?? 0;
  await mkdir(dir, { recursive: true });

  const bpe = nanoTokenizer(size.mergeCount);
  const regularVocabSize = Object.keys(bpe.vocab).length;
  const addedTokens = numberAddedTokens(OMNI_ADDED_TOKENS, regularVocabSize);
  const config = nanoThinkerConfigJson(size, regularVocabSize, addedTokens, bpe.vocab.user);

  const tensors = initialWeights(thinkerTensorShapes(config), seed, size.initializerRange);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeJson(dir, 'config.json', config);
  await writeJson(dir, 'tokenizer.json', tokenizerJson(bpe, addedTokens));
  await writeJson(dir, 'tokenizer_config.json', tokenizerConfigJson(addedTokens, true, QWEN_OMNI_CHAT_TEMPLATE));
  await writeJson(dir, 'chat_template.json', { chat_template: QWEN_OMNI_CHAT_TEMPLATE });
  await writeJson(dir, 'generation_config.json', generationConfigJson(addedTokens));
  await writeJson(dir, 'preprocessor_config.json', { ...PREPROCESSOR_CONFIG, min_pixels: size.minPixels, max_pixels: size.maxPixels });
  const parameters = Object.values(tensors).reduce((sum, t) => sum + t.data.length, 0);
  return { dir, config, regularVocabSize, addedTokens, parameters };
}

/**
 * `omni models init nano`: writes a fresh nano thinker into `out`, which must not exist yet (or be an empty
 * folder), so a trained model is never overwritten by accident.
 */
export async function initNanoThinker(out: string, options: NanoThinkerOptions = {}): Promise<NanoThinkerCheckpoint> {
  const dir = resolve(out);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new InputError(`${dir} already exists and is not empty`, { file: dir, hint: 'pick a new --out folder, or remove this one first' });
  }
  return writeNanoThinkerCheckpoint(dir, options);
}
