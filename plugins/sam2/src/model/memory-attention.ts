/**
 * Sam2VideoMemoryAttention: the current frame's features (plus 0.1 x their sine position encoding) go through layers
 * of RoPE self-attention, RoPE cross-attention to the memory bank (spatial memories rotated with the per-frame
 * repeated tables, object-pointer tokens left unrotated: num_k_exclude_rope) and an MLP, then a final LayerNorm.
 * The memory positional inputs are assembled in the graph from the weights (temporal encodings, the pointer
 * projection), so the predictor only passes indices and sine tables.
 *
 * Graph `memory_attention`:
 *   vision_features [1, C, h, w]                  the frame's lowest FPN level (no no-memory embedding)
 *   memory [B, F * h * w, mem_dim]                 spatial memories of F frames, frame-major
 *   memory_temporal_index int64 [F]                row of memory_temporal_positional_encoding per memory frame
 *   object_pointers [B, Np, C]
 *   object_pointer_temporal_encoding [Np, C]       get_1d_sine_pe of the normalised temporal differences
 * -> conditioned_features [B, C, h, w] (the decoder's image embedding for this frame).
 */
import {
  add,
  concat,
  expand,
  gather,
  Graph,
  matMul,
  mul,
  neg,
  reshape,
  shapeOf,
  slice,
  sliceAxis,
  softmax,
  tensorData,
  transpose,
  unsqueeze,
  type Tensor,
} from 'omni-r1';
import type { Sam2Config } from '../config.js';
import type { MemoryAttentionConfig, Sam2VideoConfig } from '../video/video-config.js';
import type { WeightSource } from '../weights.js';
import { activate, ModuleContext } from './common.js';
import { axialRopeTables, sinePositionEncoding } from './position-encoding.js';

const LAYER_NORM_EPS = 1e-5;

/** x [..., L, D] -> x * cos + rotate_pairwise(x) * sin, rotate_pairwise(x)[2i] = -x[2i+1], [2i+1] = x[2i]. */
export function applyPairwiseRotary(x: Tensor, cos: Tensor, sin: Tensor, headDim: number): Tensor {
  const pairs = reshape(x, [0, 0, 0, headDim / 2, 2]);
  const rotated = reshape(concat([neg(sliceAxis(pairs, 4, 1, 2)), sliceAxis(pairs, 4, 0, 1)], 4), [0, 0, 0, headDim]);
  return add(mul(x, cos), mul(rotated, sin));
}

export interface RopeTables {
  /** [HW, head_dim] constants. */
  cos: Tensor;
  sin: Tensor;
  tokens: number;
}

/**
 * Sam2VideoRoPEAttention. query [B, L, C]; key/value [B, Lk, kv]. Without `spatialKeys` every key is rotated with the
 * tables (self-attention); with it, the first shape(spatialKeys)[1] keys are (a multiple of the table length: each
 * frame rotated with the same table, rope_k_repeat) and the rest (object pointers) pass unrotated.
 */
export function ropeAttention(
  ctx: ModuleContext,
  name: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  rope: RopeTables,
  config: MemoryAttentionConfig,
  spatialKeys?: Tensor,
): Tensor {
  const internal = config.hiddenSize / config.downsampleRate;
  const heads = config.numHeads;
  const headDim = internal / heads;
  const heads4d = (x: Tensor) => transpose(reshape(x, [0, 0, heads, headDim]), [0, 2, 1, 3]);
  const q = applyPairwiseRotary(heads4d(ctx.linear(`${name}.q_proj`, query)), rope.cos, rope.sin, headDim);
  const kAll = heads4d(ctx.linear(`${name}.k_proj`, key));
  const v = heads4d(ctx.linear(`${name}.v_proj`, value));
  let k: Tensor;
  if (spatialKeys === undefined) {
    k = applyPairwiseRotary(kAll, rope.cos, rope.sin, headDim);
  } else {
    const spatialCount = slice(shapeOf(spatialKeys), [1], [2]);
    const zero = ctx.graph.constant(tensorData('int64', [1], [0]));
    const big = ctx.graph.constant(tensorData('int64', [1], [Number.MAX_SAFE_INTEGER]));
    const spatial = slice(kAll, zero, spatialCount, [2]);
    const pointers = slice(kAll, spatialCount, big, [2]);
    const perFrame = reshape(spatial, [0, 0, -1, rope.tokens, headDim]);
    const rotated = reshape(applyPairwiseRotary5d(perFrame, rope, headDim), [0, 0, -1, headDim]);
    k = concat([rotated, pointers], 2);
  }
  const weights = softmax(mul(matMul(q, transpose(k, [0, 1, 3, 2])), headDim ** -0.5), -1);
  const out = reshape(transpose(matMul(weights, v), [0, 2, 1, 3]), [0, 0, internal]);
  return ctx.linear(`${name}.o_proj`, out);
}

/** The rotation on [B, heads, F, HW, D] (the tables broadcast over frames). */
function applyPairwiseRotary5d(x: Tensor, rope: RopeTables, headDim: number): Tensor {
  const pairs = reshape(x, [0, 0, 0, 0, headDim / 2, 2]);
  const rotated = reshape(concat([neg(sliceAxis(pairs, 5, 1, 2)), sliceAxis(pairs, 5, 0, 1)], 5), [0, 0, 0, 0, headDim]);
  return add(mul(x, rope.cos), mul(rotated, rope.sin));
}

/** Sam2VideoMemoryAttentionLayer (pre-norm): RoPE self-attention, RoPE cross-attention to memory, MLP. */
export function memoryAttentionLayer(
  ctx: ModuleContext,
  name: string,
  queries: Tensor,
  memory: { keys: Tensor; positions: Tensor; spatial: Tensor },
  rope: RopeTables,
  config: MemoryAttentionConfig,
): Tensor {
  const ln = (n: string, x: Tensor) => ctx.layerNorm(`${name}.${n}`, x, LAYER_NORM_EPS);
  let q = ln('layer_norm1', queries);
  queries = add(queries, ropeAttention(ctx, `${name}.self_attn`, q, q, q, rope, config));
  q = ln('layer_norm2', queries);
  const key = add(memory.keys, memory.positions);
  queries = add(queries, ropeAttention(ctx, `${name}.cross_attn_image`, q, key, memory.keys, rope, config, memory.spatial));
  q = ln('layer_norm3', queries);
  const mlp = ctx.linear(`${name}.linear2`, activate(ctx.linear(`${name}.linear1`, q), config.feedForwardActivation));
  return add(queries, mlp);
}

export function buildMemoryAttentionGraph(config: Sam2Config, weights: WeightSource, video: Sam2VideoConfig): Graph {
  const g = new Graph('memory_attention');
  const ctx = new ModuleContext(g, weights);
  const hidden = config.maskDecoder.hiddenSize;
  const grid = config.promptEncoder.imageSize / config.promptEncoder.patchSize;
  const memDim = video.memoryEncoder.outputChannels;
  const inputs: MemoryAttentionInputs = {
    visionFeatures: g.input('vision_features', 'float32', [1, hidden, grid, grid]),
    memory: g.input('memory', 'float32', ['batch_size', 'memory_tokens', memDim]),
    temporalIndex: g.input('memory_temporal_index', 'int64', ['memory_frames']),
    pointers: g.input('object_pointers', 'float32', ['batch_size', 'num_pointers', hidden]),
  };
  if (video.enableTemporalPosEncodingForObjectPointers) inputs.pointerTemporalEncoding = g.input('object_pointer_temporal_encoding', 'float32', ['num_pointers', hidden]);
  g.output(memoryConditionedFeatures(ctx, inputs, config, video), 'conditioned_features');
  return g;
}

/** The tensors of the `memory_attention` graph's inputs (see the file comment). */
export interface MemoryAttentionInputs {
  visionFeatures: Tensor;
  memory: Tensor;
  temporalIndex: Tensor;
  pointers: Tensor;
  /** Required when enable_temporal_pos_encoding_for_object_pointers. */
  pointerTemporalEncoding?: Tensor;
}

/** The memory attention over graph tensors: conditioned_features [B, C, h, w]. */
export function memoryConditionedFeatures(ctx: ModuleContext, inputs: MemoryAttentionInputs, config: Sam2Config, video: Sam2VideoConfig): Tensor {
  const g = ctx.graph;
  const hidden = config.maskDecoder.hiddenSize;
  const grid = config.promptEncoder.imageSize / config.promptEncoder.patchSize;
  const tokens = grid * grid;
  const memDim = video.memoryEncoder.outputChannels;
  const splits = hidden / memDim;
  const attention = video.memoryAttention;
  const headDim = attention.hiddenSize / (attention.downsampleRate * attention.numHeads);

  const { visionFeatures, memory, temporalIndex, pointers } = inputs;

  // Shared when the function runs several times in one graph (the training graph unrolls frames).
  const constant = (name: string, shape: number[], data: Float32Array) => (g.has(name) ? g.tensor(name) : g.initializer(name, { dtype: 'float32', shape, data }));
  const tokensFirst = (chw: Float32Array, channels: number) => {
    const out = new Float32Array(chw.length);
    for (let c = 0; c < channels; c++) for (let t = 0; t < tokens; t++) out[t * channels + c] = chw[c * tokens + t]!;
    return out;
  };
  const visionPosition = constant('vision_position_encoding', [1, tokens, hidden], tokensFirst(sinePositionEncoding(hidden / 2, grid, grid), hidden));
  const memoryPosition = constant('memory_position_encoding', [1, tokens, memDim], tokensFirst(sinePositionEncoding(memDim / 2, grid, grid), memDim));
  const tables = axialRopeTables(headDim, attention.ropeFeatSizes[0], attention.ropeFeatSizes[1], attention.ropeTheta);
  const rope: RopeTables = { cos: constant('rope_cos', [tokens, headDim], tables.cos), sin: constant('rope_sin', [tokens, headDim], tables.sin), tokens };

  const batch = slice(shapeOf(memory), [0], [1]);
  const perObject = (x: Tensor, rest: Tensor) => expand(x, concat([batch, rest], 0));
  const restOf = (x: Tensor) => slice(shapeOf(x), [1], [3]);

  // Spatial memories: sine encoding + the temporal encoding of their slot.
  const temporal = gather(reshape(ctx.param('memory_temporal_positional_encoding'), [-1, memDim]), temporalIndex);
  const spatialPositions = reshape(add(unsqueeze(temporal, [1]), memoryPosition), [1, -1, memDim]);
  // Object pointers: C-wide pointers split into C / mem_dim tokens, each with its pointer's projected temporal encoding.
  const pointerTokens = reshape(pointers, [0, -1, memDim]);
  let pointerPositions: Tensor;
  if (video.enableTemporalPosEncodingForObjectPointers) {
    const encoding = inputs.pointerTemporalEncoding;
    if (!encoding) throw new Error('the memory attention needs the object pointers\' temporal encoding (enable_temporal_pos_encoding_for_object_pointers)');
    const projected = ctx.linear('temporal_positional_encoding_projection_layer', encoding);
    const repeated = expand(unsqueeze(projected, [1]), g.constant(tensorData('int64', [3], [1, splits, memDim])));
    pointerPositions = reshape(repeated, [1, -1, memDim]);
  } else {
    pointerPositions = mul(sliceAxis(pointerTokens, 0, 0, 1), 0);
  }
  const keys = concat([memory, pointerTokens], 1);
  const positions = concat([perObject(spatialPositions, restOf(spatialPositions)), perObject(pointerPositions, restOf(pointerPositions))], 1);

  const flat = transpose(reshape(visionFeatures, [1, hidden, tokens]), [0, 2, 1]);
  let x = add(flat, mul(visionPosition, 0.1));
  x = perObject(x, g.constant(tensorData('int64', [2], [tokens, hidden])));
  for (let i = 0; i < attention.numLayers; i++) {
    x = memoryAttentionLayer(ctx, `memory_attention.layers.${i}`, x, { keys, positions, spatial: memory }, rope, attention);
  }
  x = ctx.layerNorm('memory_attention.layer_norm', x, LAYER_NORM_EPS);
  return reshape(transpose(x, [0, 2, 1]), [-1, hidden, grid, grid]);
}
