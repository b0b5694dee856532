/**
 * The nano SAM2: the Sam2Model architecture (Hiera + FPN neck, prompt encoder, two-way mask decoder) at a size that
 * trains on two CPU cores, as a transformers `config.json` object. Three Hiera stages (strides 4, 8, 16) give the
 * neck its three levels; the embedding is S/16 and the masks S/4.
 *
 * `window_positional_embedding_background_size` equals the stage-0 grid so the bicubic resize of `pos_embed` is the
 * identity: the trainer trains the resized position embedding and writes it back as `pos_embed` exactly.
 */
export interface NanoSam2Options {
  /** Model input side in pixels, a multiple of 64 (the stage-0 grid must tile into 8x8 windows after /4). */
  imageSize?: number;
}

export const NANO_DEFAULT_IMAGE_SIZE = 128;
export const NANO_PATCH_STRIDE = 4;

export type Sam2ConfigJson = Record<string, unknown> & {
  vision_config: { backbone_config: Record<string, unknown> & { image_size: number[] } } & Record<string, unknown>;
  prompt_encoder_config: Record<string, unknown> & { image_size: number; hidden_size: number };
  mask_decoder_config: Record<string, unknown> & { hidden_size: number };
};

export function nanoSam2Config(options: NanoSam2Options = {}): Sam2ConfigJson {
  const size = options.imageSize ?? NANO_DEFAULT_IMAGE_SIZE;
  if (!Number.isInteger(size) || size < 64 || size % 64 !== 0) throw new Error(`nano SAM2 image size ${size} must be a multiple of 64`);
  const grid = size / NANO_PATCH_STRIDE;
  const hidden = 64;
  return {
    model_type: 'sam2',
    vision_config: {
      model_type: 'sam2_vision_model',
      backbone_config: {
        model_type: 'sam2_hiera_det_model',
        hidden_size: 16,
        num_channels: 3,
        image_size: [size, size],
        patch_kernel_size: [7, 7],
        patch_stride: [NANO_PATCH_STRIDE, NANO_PATCH_STRIDE],
        patch_padding: [3, 3],
        query_stride: [2, 2],
        window_positional_embedding_background_size: [grid, grid],
        num_query_pool_stages: 2,
        blocks_per_stage: [1, 2, 2],
        embed_dim_per_stage: [16, 32, 64],
        num_attention_heads_per_stage: [1, 2, 4],
        window_size_per_stage: [8, 4, 8],
        global_attention_blocks: [4],
        mlp_ratio: 4.0,
        hidden_act: 'gelu',
        layer_norm_eps: 1e-6,
      },
      backbone_channel_list: [64, 32, 16],
      backbone_feature_sizes: [
        [grid, grid],
        [grid / 2, grid / 2],
        [grid / 4, grid / 4],
      ],
      fpn_hidden_size: hidden,
      fpn_kernel_size: 1,
      fpn_stride: 1,
      fpn_padding: 0,
      fpn_top_down_levels: [2, 3],
      num_feature_levels: 3,
    },
    prompt_encoder_config: { hidden_size: hidden, image_size: size, patch_size: 16, mask_input_channels: 16, num_point_embeddings: 4, layer_norm_eps: 1e-6, scale: 1 },
    mask_decoder_config: {
      hidden_size: hidden,
      mlp_dim: 256,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      attention_downsample_rate: 2,
      num_multimask_outputs: 3,
      iou_head_depth: 3,
      iou_head_hidden_dim: hidden,
      dynamic_multimask_via_stability: true,
      dynamic_multimask_stability_delta: 0.05,
      dynamic_multimask_stability_thresh: 0.98,
    },
  };
}

/**
 * The nano SAM2 video model (transformers Sam2VideoConfig, model_type `sam2_video`): the image model's fields plus a
 * small memory path sized to the 64-wide decoder: 3 memory slots, one memory-attention layer (hidden 64, one head,
 * MLP 256), a one-block memory fuser, memories of 64 channels (the width the memory attention's keys are built for).
 */
export function nanoSam2VideoConfig(image: Sam2ConfigJson): Sam2ConfigJson {
  const size = image.prompt_encoder_config.image_size;
  const hidden = image.mask_decoder_config.hidden_size;
  const grid = size / 16;
  return {
    ...image,
    model_type: 'sam2_video',
    image_size: size,
    num_maskmem: 3,
    sigmoid_scale_for_mem_enc: 20,
    sigmoid_bias_for_mem_enc: -10,
    enable_occlusion_spatial_embedding: true,
    multimask_output_in_sam: true,
    multimask_min_pt_num: 0,
    multimask_max_pt_num: 1,
    multimask_output_for_tracking: true,
    max_object_pointers_in_encoder: 16,
    enable_temporal_pos_encoding_for_object_pointers: true,
    memory_attention_hidden_size: hidden,
    memory_attention_num_layers: 1,
    memory_attention_num_attention_heads: 1,
    memory_attention_downsample_rate: 1,
    memory_attention_feed_forward_hidden_size: 256,
    memory_attention_feed_forward_hidden_act: 'relu',
    memory_attention_rope_feat_sizes: [grid, grid],
    memory_attention_rope_theta: 10000,
    memory_encoder_hidden_size: hidden,
    memory_encoder_output_channels: 64,
    mask_downsampler_embed_dim: hidden,
    mask_downsampler_kernel_size: 3,
    mask_downsampler_stride: 2,
    mask_downsampler_padding: 1,
    mask_downsampler_total_stride: 16,
    mask_downsampler_hidden_act: 'gelu',
    memory_fuser_num_layers: 1,
    memory_fuser_embed_dim: hidden,
    memory_fuser_intermediate_dim: 256,
    memory_fuser_kernel_size: 7,
    memory_fuser_padding: 3,
    memory_fuser_hidden_act: 'gelu',
  };
}
