/**
 * Every tensor of a transformers Sam2Model checkpoint for a given config, with fresh initial values as the reference
 * modules initialise themselves: Linear / Conv weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default),
 * biases 0, LayerNorms 1/0, embeddings N(0, 1), Hiera's position embeddings and `no_memory_embedding` N(0, 0.02^2),
 * the prompt encoder's random Fourier matrix N(0, scale^2) (a fixed buffer, never trained).
 */
import { SeededRandom, type TensorData } from 'omni-r1';
import type { Sam2Config } from '../config.js';
import type { Sam2VideoConfig } from '../video/video-config.js';

type Init = 'fanIn' | 'zero' | 'one' | 'normal' | 'small' | 'layerScale';
export type TensorSpec = [name: string, shape: number[], init: Init];

const linear = (name: string, out: number, inp: number): TensorSpec[] => [
  [`${name}.weight`, [out, inp], 'fanIn'],
  [`${name}.bias`, [out], 'zero'],
];
const norm = (name: string, dim: number): TensorSpec[] => [
  [`${name}.weight`, [dim], 'one'],
  [`${name}.bias`, [dim], 'zero'],
];
const conv = (name: string, shape: number[]): TensorSpec[] => [
  [`${name}.weight`, shape, 'fanIn'],
  [`${name}.bias`, [shape[0]!], 'zero'],
];
const convTranspose = (name: string, shape: number[]): TensorSpec[] => [
  [`${name}.weight`, shape, 'fanIn'],
  [`${name}.bias`, [shape[1]!], 'zero'],
];

function feedForward(name: string, inp: number, hidden: number, out: number, layers: number): TensorSpec[] {
  const specs = [...linear(`${name}.proj_in`, hidden, inp)];
  for (let i = 0; i < layers - 2; i++) specs.push(...linear(`${name}.layers.${i}`, hidden, hidden));
  return [...specs, ...linear(`${name}.proj_out`, out, hidden)];
}

function attention(name: string, hidden: number, internal: number): TensorSpec[] {
  return [...linear(`${name}.q_proj`, internal, hidden), ...linear(`${name}.k_proj`, internal, hidden), ...linear(`${name}.v_proj`, internal, hidden), ...linear(`${name}.o_proj`, hidden, internal)];
}

/** The names, shapes and initialisers of Sam2Model's tensors (image model: no memory modules). */
export function sam2TensorSpecs(config: Sam2Config): TensorSpec[] {
  const b = config.vision.backbone;
  const v = config.vision;
  const p = config.promptEncoder;
  const m = config.maskDecoder;
  const C = m.hiddenSize;
  const specs: TensorSpec[] = [
    ...conv('vision_encoder.backbone.patch_embed.projection', [b.hiddenSize, b.numChannels, ...b.patchKernelSize]),
    ['vision_encoder.backbone.pos_embed', [1, b.hiddenSize, ...b.windowPositionalEmbeddingBackgroundSize], 'small'],
    ['vision_encoder.backbone.pos_embed_window', [1, b.hiddenSize, b.windowSizePerStage[0]!, b.windowSizePerStage[0]!], 'zero'],
  ];
  let block = 0;
  b.blocksPerStage.forEach((count, stage) => {
    for (let i = 0; i < count; i++, block++) {
      const dim = b.embedDimPerStage[stage > 0 && i === 0 ? stage - 1 : stage]!;
      const out = b.embedDimPerStage[stage]!;
      const name = `vision_encoder.backbone.blocks.${block}`;
      specs.push(...norm(`${name}.layer_norm1`, dim), ...linear(`${name}.attn.qkv`, 3 * out, dim), ...linear(`${name}.attn.proj`, out, out));
      specs.push(...norm(`${name}.layer_norm2`, out), ...feedForward(`${name}.mlp`, out, Math.round(out * b.mlpRatio), out, 2));
      if (dim !== out) specs.push(...linear(`${name}.proj`, out, dim));
    }
  });
  v.backboneChannelList.forEach((channels, j) => specs.push(...conv(`vision_encoder.neck.convs.${j}`, [v.fpnHiddenSize, channels, v.fpnKernelSize, v.fpnKernelSize])));
  const mic = p.maskInputChannels;
  specs.push(
    ['shared_image_embedding.positional_embedding', [2, C / 2], 'normal'],
    ...conv('prompt_encoder.mask_embed.conv1', [mic / 4, 1, 2, 2]),
    ...conv('prompt_encoder.mask_embed.conv2', [mic, mic / 4, 2, 2]),
    ...conv('prompt_encoder.mask_embed.conv3', [C, mic, 1, 1]),
    ...norm('prompt_encoder.mask_embed.layer_norm1', mic / 4),
    ...norm('prompt_encoder.mask_embed.layer_norm2', mic),
    ['prompt_encoder.no_mask_embed.weight', [1, C], 'normal'],
    ['prompt_encoder.point_embed.weight', [p.numPointEmbeddings, C], 'normal'],
    ['prompt_encoder.not_a_point_embed.weight', [1, C], 'normal'],
    ['mask_decoder.iou_token.weight', [1, C], 'normal'],
    ['mask_decoder.mask_tokens.weight', [m.numMultimaskOutputs + 1, C], 'normal'],
    ['mask_decoder.obj_score_token.weight', [1, C], 'normal'],
  );
  const internal = C / m.attentionDownsampleRate;
  for (let i = 0; i < m.numHiddenLayers; i++) {
    const name = `mask_decoder.transformer.layers.${i}`;
    specs.push(...attention(`${name}.self_attn`, C, C), ...attention(`${name}.cross_attn_token_to_image`, C, internal), ...attention(`${name}.cross_attn_image_to_token`, C, internal));
    specs.push(...feedForward(`${name}.mlp`, C, m.mlpDim, C, m.numHiddenLayers));
    for (const n of [1, 2, 3, 4]) specs.push(...norm(`${name}.layer_norm${n}`, C));
  }
  specs.push(...attention('mask_decoder.transformer.final_attn_token_to_image', C, internal), ...norm('mask_decoder.transformer.layer_norm_final_attn', C));
  specs.push(
    ...convTranspose('mask_decoder.upscale_conv1', [C, C / 4, 2, 2]),
    ...convTranspose('mask_decoder.upscale_conv2', [C / 4, C / 8, 2, 2]),
    ...norm('mask_decoder.upscale_layer_norm', C / 4),
    ...conv('mask_decoder.conv_s0', [C / 8, C, 1, 1]),
    ...conv('mask_decoder.conv_s1', [C / 4, C, 1, 1]),
    ['no_memory_embedding', [1, 1, C], 'small'],
  );
  for (let i = 0; i < m.numMultimaskOutputs + 1; i++) specs.push(...feedForward(`mask_decoder.output_hypernetworks_mlps.${i}`, C, C, C / 8, 3));
  specs.push(...feedForward('mask_decoder.iou_prediction_head', C, m.iouHeadHiddenDim, m.numMultimaskOutputs + 1, m.iouHeadDepth));
  specs.push(...feedForward('mask_decoder.pred_obj_score_head', C, C, 1, 3));
  return specs;
}

/**
 * The tensors Sam2VideoModel adds to Sam2Model: memory encoder (mask downsampler, feature projection, ConvNeXt fuser,
 * projection), memory attention, object-pointer projection and the memory/pointer embeddings. Layer scales start at
 * 1e-6 as the reference's; the learned embeddings as the reference (trunc-normal 0.02 or zeros).
 */
export function sam2VideoTensorSpecs(config: Sam2Config, video: Sam2VideoConfig): TensorSpec[] {
  const C = config.maskDecoder.hiddenSize;
  const e = video.memoryEncoder;
  const a = video.memoryAttention;
  const memDim = e.outputChannels;
  const specs: TensorSpec[] = [];
  const d = e.maskDownsampler;
  const layers = Math.floor(Math.log2(d.totalStride) / Math.log2(d.stride));
  let channels = 1;
  for (let i = 0; i < layers; i++) {
    const out = channels * d.stride * d.stride;
    specs.push(...conv(`memory_encoder.mask_downsampler.layers.${i}.conv`, [out, channels, d.kernelSize, d.kernelSize]));
    specs.push(...norm(`memory_encoder.mask_downsampler.layers.${i}.layer_norm`, out));
    channels = out;
  }
  specs.push(...conv('memory_encoder.mask_downsampler.final_conv', [d.embedDim, channels, 1, 1]));
  specs.push(...conv('memory_encoder.feature_projection', [e.hiddenSize, C, 1, 1]));
  for (let i = 0; i < e.fuser.numLayers; i++) {
    const name = `memory_encoder.memory_fuser.layers.${i}`;
    specs.push(...conv(`${name}.depthwise_conv`, [e.fuser.embedDim, 1, e.fuser.kernelSize, e.fuser.kernelSize]), ...norm(`${name}.layer_norm`, e.fuser.embedDim));
    specs.push(...linear(`${name}.pointwise_conv1`, e.fuser.intermediateDim, e.fuser.embedDim), ...linear(`${name}.pointwise_conv2`, e.fuser.embedDim, e.fuser.intermediateDim));
    specs.push([`${name}.scale`, [e.fuser.embedDim], 'layerScale']);
  }
  specs.push(...conv('memory_encoder.projection', [memDim, e.hiddenSize, 1, 1]));
  const internal = a.hiddenSize / a.downsampleRate;
  for (let i = 0; i < a.numLayers; i++) {
    const name = `memory_attention.layers.${i}`;
    specs.push(...attention(`${name}.self_attn`, a.hiddenSize, internal));
    specs.push(...linear(`${name}.cross_attn_image.q_proj`, internal, a.hiddenSize), ...linear(`${name}.cross_attn_image.k_proj`, internal, memDim));
    specs.push(...linear(`${name}.cross_attn_image.v_proj`, internal, memDim), ...linear(`${name}.cross_attn_image.o_proj`, a.hiddenSize, internal));
    specs.push(...linear(`${name}.linear1`, a.feedForwardHiddenSize, a.hiddenSize), ...linear(`${name}.linear2`, a.hiddenSize, a.feedForwardHiddenSize));
    for (const n of [1, 2, 3]) specs.push(...norm(`${name}.layer_norm${n}`, a.hiddenSize));
  }
  specs.push(...norm('memory_attention.layer_norm', a.hiddenSize));
  specs.push(
    ...feedForward('object_pointer_proj', C, C, C, 3),
    ['no_object_pointer', [1, C], 'zero'],
    ['memory_temporal_positional_encoding', [video.numMaskmem, 1, 1, memDim], 'small'],
    ['no_memory_positional_encoding', [1, 1, C], 'small'],
    ['occlusion_spatial_embedding_parameter', [1, memDim], 'zero'],
    ...conv('mask_downsample', [1, 1, 4, 4]),
  );
  if (video.enableTemporalPosEncodingForObjectPointers) specs.push(...linear('temporal_positional_encoding_projection_layer', memDim, C));
  return specs;
}

/** Standard normal draws (Box-Muller) from the synthesiser's portable generator. */
function normalSampler(rng: SeededRandom): () => number {
  return () => {
    const u = 1 - rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
}

/** Fresh weights for `config`, deterministic in `seed` (`specs` defaults to the image model's). */
export function initSam2Weights(config: Sam2Config, seed: number, specs: TensorSpec[] = sam2TensorSpecs(config)): Map<string, TensorData> {
  const rng = SeededRandom.fromSeed(seed, 0x5a32);
  const normal = normalSampler(rng);
  const out = new Map<string, TensorData>();
  for (const [name, shape, init] of specs) {
    const n = shape.reduce((a, d) => a * d, 1);
    const fanIn = shape.slice(1).reduce((a, d) => a * d, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] =
        init === 'fanIn' ? (2 * rng.next() - 1) * bound : init === 'one' ? 1 : init === 'zero' ? 0 : init === 'normal' ? normal() * config.promptEncoder.scale : init === 'layerScale' ? 1e-6 : 0.02 * normal();
    }
    out.set(name, { dtype: 'float32', shape, data });
  }
  return out;
}
