/**
 * The nano thinker: Qwen2_5OmniThinkerForConditionalGeneration (vision tower + audio tower + Qwen2 decoder with
 * mrope) at a size that trains on one CPU core and exports to about 12 MB in fp32, leaving room for the nano SAM2
 * under the shipped 30 MB.
 */

export interface NanoTextSize {
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
}

export interface NanoVisionSize {
  depth: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  /** Blocks with full attention (the others attend within 112-pixel windows). */
  fullattBlockIndexes: number[];
}

export interface NanoAudioSize {
  dModel: number;
  encoderLayers: number;
  encoderAttentionHeads: number;
  encoderFfnDim: number;
}

export interface NanoThinkerConfig {
  text: NanoTextSize;
  vision: NanoVisionSize;
  audio: NanoAudioSize;
  /** BPE merges learned on the nano corpus (fewer when the corpus runs out of repeated pairs). */
  mergeCount: number;
  /** `initializer_range` of the transformers config: std of the normal init of every Linear, Conv and Embedding. */
  initializerRange: number;
  /** The image processor's smart_resize budget (preprocessor_config.json `min_pixels` / `max_pixels`). */
  minPixels: number;
  maxPixels: number;
}

/**
 * The default nano sizes. Text: hidden 192, 4 layers, 6 heads of 32 with 2 KV heads (GQA as the 7B's 28/4),
 * SwiGLU 512. Vision: 2 blocks of 64 (the last global), merger to 192. Audio: 2 Whisper layers of 64. About 3 M
 * parameters in all; a 112 x 112 frame pair is 16 vision tokens, a second of audio 25 audio tokens.
 */
export function nanoThinkerConfig(): NanoThinkerConfig {
  return {
    text: { hiddenSize: 192, intermediateSize: 512, numHiddenLayers: 4, numAttentionHeads: 6, numKeyValueHeads: 2 },
    vision: { depth: 2, hiddenSize: 64, intermediateSize: 192, numHeads: 2, fullattBlockIndexes: [1] },
    audio: { dModel: 64, encoderLayers: 2, encoderAttentionHeads: 2, encoderFfnDim: 256 },
    mergeCount: 1500,
    initializerRange: 0.02,
    minPixels: 56 * 56,
    maxPixels: 112 * 112,
  };
}

/** thinker_config.vision_config (transformers Qwen2_5OmniVisionEncoderConfig); out_hidden_size is the text width. */
export function nanoVisionConfigJson(size: NanoVisionSize, outHiddenSize: number): Record<string, unknown> {
  return {
    model_type: 'qwen2_5_omni_vision_encoder',
    depth: size.depth,
    hidden_size: size.hiddenSize,
    hidden_act: 'silu',
    intermediate_size: size.intermediateSize,
    num_heads: size.numHeads,
    in_channels: 3,
    patch_size: 14,
    spatial_merge_size: 2,
    temporal_patch_size: 2,
    window_size: 112,
    out_hidden_size: outHiddenSize,
    fullatt_block_indexes: size.fullattBlockIndexes,
    initializer_range: 0.02,
  };
}

/** thinker_config.audio_config (transformers Qwen2_5OmniAudioEncoderConfig); output_dim is the text width. */
export function nanoAudioConfigJson(size: NanoAudioSize, outputDim: number): Record<string, unknown> {
  return {
    model_type: 'qwen2_5_omni_audio_encoder',
    activation_function: 'gelu',
    d_model: size.dModel,
    encoder_attention_heads: size.encoderAttentionHeads,
    encoder_ffn_dim: size.encoderFfnDim,
    encoder_layers: size.encoderLayers,
    num_mel_bins: 128,
    max_source_positions: 1500,
    n_window: 100,
    output_dim: outputDim,
    scale_embedding: false,
    initializer_range: 0.02,
  };
}
