/**
 * The non-weight files of a Qwen2.5-Omni (or Qwen2.5) checkpoint folder, in the released repos' formats:
 * config.json's text part, tokenizer.json (byte-level BPE), tokenizer_config.json, generation_config.json and
 * preprocessor_config.json. The nano thinker and the tests' tiny checkpoints both write them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QWEN2_PRETOKENIZER_REGEX, type ByteLevelBpe } from './byte-level-bpe.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** Qwen2.5-Omni's added tokens in id order after the regular vocabulary (151643 + i in the real vocabulary). */
export const OMNI_ADDED_TOKENS: ReadonlyArray<readonly [string, boolean]> = [
  ['<|endoftext|>', true],
  ['<|im_start|>', true],
  ['<|im_end|>', true],
  ['<|AUDIO|>', true],
  ['<|audio_bos|>', true],
  ['<|audio_eos|>', true],
  ['<|box_end|>', true],
  ['<|quad_start|>', true],
  ['<|quad_end|>', true],
  ['<|vision_bos|>', true],
  ['<|vision_eos|>', true],
  ['<|vision_pad|>', true],
  ['<|IMAGE|>', true],
  ['<|VIDEO|>', true],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['<|fim_prefix|>', false],
  ['<|fim_middle|>', false],
  ['<|fim_suffix|>', false],
  ['<|fim_pad|>', false],
  ['<|repo_name|>', false],
  ['<|file_sep|>', false],
];

/** Qwen2.5's added tokens (the same slots before the Omni renames). */
export const QWEN2_ADDED_TOKENS: ReadonlyArray<readonly [string, boolean]> = OMNI_ADDED_TOKENS.map(([content, special]) => {
  const renamed: Record<string, string> = {
    '<|AUDIO|>': '<|object_ref_start|>',
    '<|audio_bos|>': '<|object_ref_end|>',
    '<|audio_eos|>': '<|box_start|>',
    '<|vision_bos|>': '<|vision_start|>',
    '<|vision_eos|>': '<|vision_end|>',
    '<|IMAGE|>': '<|image_pad|>',
    '<|VIDEO|>': '<|video_pad|>',
  };
  return [renamed[content] ?? content, special] as const;
});

/** The added tokens with their ids, numbered right after a regular vocabulary of `regularVocabSize` tokens. */
export function numberAddedTokens(tokens: ReadonlyArray<readonly [string, boolean]>, regularVocabSize: number): AddedToken[] {
  return tokens.map(([content, special], i) => ({ id: regularVocabSize + i, content, special }));
}

/** The id of an added token; throws when the list lacks it. */
export function addedTokenId(tokens: readonly AddedToken[], content: string): number {
  const token = tokens.find((t) => t.content === content);
  if (!token) throw new Error(`no added token ${content}`);
  return token.id;
}

/** The embedding's row count: like the real 152064 over 151665 tokens, rounded up to a multiple of 64 (spare rows). */
export function paddedVocabSize(tokenCount: number): number {
  return Math.ceil(tokenCount / 64) * 64;
}

/** The 7B model's mrope split [16, 24, 24] of 64 frequencies, scaled to head_dim / 2. */
export function defaultMropeSection(headDim: number): [number, number, number] {
  const half = headDim / 2;
  const t = Math.max(1, Math.round((half * 16) / 64));
  const h = Math.floor((half - t) / 2);
  return [t, h, half - t - h];
}

export interface TextConfigDims {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  tie: boolean;
  torchDtype: string;
  /** Qwen2.5-Omni's text config (mrope) rather than Qwen2's. */
  omni: boolean;
  /** Write rope settings the transformers 5.x way (`rope_parameters`) instead of `rope_theta` + `rope_scaling`. */
  ropeParameters: boolean;
  mropeSection: [number, number, number];
}

/** `text_config` of a thinker (or the whole config.json of a Qwen2ForCausalLM). */
export function textConfigJson(dims: TextConfigDims): Record<string, unknown> {
  const theta = 1_000_000;
  const rope = dims.ropeParameters
    ? { rope_parameters: { rope_type: 'default', rope_theta: theta, ...(dims.omni ? { mrope_section: dims.mropeSection } : {}) } }
    : { rope_theta: theta, rope_scaling: dims.omni ? { mrope_section: dims.mropeSection, rope_type: 'default', type: 'default' } : null };
  return {
    ...(dims.omni ? { model_type: 'qwen2_5_omni_text' } : { model_type: 'qwen2' }),
    hidden_act: 'silu',
    hidden_size: dims.hidden,
    init_std: 0.02,
    intermediate_size: dims.intermediate,
    max_position_embeddings: 32768,
    max_window_layers: dims.layers,
    num_attention_heads: dims.heads,
    num_hidden_layers: dims.layers,
    num_key_value_heads: dims.kvHeads,
    rms_norm_eps: 1e-6,
    ...rope,
    sliding_window: 32768,
    tie_word_embeddings: dims.tie,
    torch_dtype: dims.torchDtype,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: dims.vocabSize,
  };
}

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/** tokenizer.json laid out as Qwen2's (NFC, Split + ByteLevel pre-tokenizer, ByteLevel post-processor and decoder, BPE). */
export function tokenizerJson(bpe: ByteLevelBpe, addedTokens: readonly AddedToken[]): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map(({ id, content, special }) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_PRETOKENIZER_REGEX }, behavior: 'Isolated', invert: false }, BYTE_LEVEL],
    },
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: bpe.vocab,
      merges: bpe.merges,
    },
  };
}

export function tokenizerConfigJson(addedTokens: readonly AddedToken[], omni: boolean, chatTemplate: string | undefined): Record<string, unknown> {
  const specials = addedTokens.filter((token) => token.special && token.content !== '<|endoftext|>').map((token) => token.content);
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      addedTokens.map(({ id, content, special }) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special }]),
    ),
    additional_special_tokens: specials,
    bos_token: null,
    ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    ...(omni ? { processor_class: 'Qwen2_5OmniProcessor' } : {}),
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}

/** generation_config.json: end of turn and end of text both stop generation. */
export function generationConfigJson(addedTokens: readonly AddedToken[]): Record<string, unknown> {
  const endOfText = addedTokenId(addedTokens, '<|endoftext|>');
  return { bos_token_id: endOfText, eos_token_id: [addedTokenId(addedTokens, '<|im_end|>'), endOfText], pad_token_id: endOfText, transformers_version: '4.52.3' };
}

/** The Qwen2.5-Omni processor's merged WhisperFeatureExtractor + Qwen2VLImageProcessor settings (the 7B repo's values). */
export const PREPROCESSOR_CONFIG: Readonly<Record<string, unknown>> = {
  chunk_length: 300,
  dither: 0.0,
  feature_extractor_type: 'WhisperFeatureExtractor',
  feature_size: 128,
  hop_length: 160,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'Qwen2VLImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  max_pixels: 12845056,
  merge_size: 2,
  min_pixels: 3136,
  n_fft: 400,
  n_samples: 4800000,
  nb_max_frames: 30000,
  padding_side: 'right',
  padding_value: 0.0,
  patch_size: 14,
  processor_class: 'Qwen2_5OmniProcessor',
  return_attention_mask: true,
  sampling_rate: 16000,
  temporal_patch_size: 2,
};

export async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFile(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}
