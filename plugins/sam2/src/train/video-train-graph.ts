/**
 * The video-stage training graph over one clip of T frames and one object, unrolled as the video predictor runs it:
 * - frame 0: the image embedding (with no_memory_embedding) decoded from the object's box (its two corners, labels
 *   2 and 3, single-mask output as multimask_max_pt_num 1 gives), its mask binarised for memory (is_mask_from_pts);
 * - frame t >= 1: the frame's vision features conditioned on the memories and object pointers of frames < t (memory
 *   attention, slots and temporal differences as the memory bank selects them), decoded with no prompt (one
 *   not-a-point), the best multimask output (by predicted IoU) sigmoided into the next memory;
 * - SAM2's loss on every frame's masks against its target.
 *
 * The object pointers' temporal differences are normalised by max_object_pointers_in_encoder - 1, as the predictor
 * does on videos at least that long (the evaluation's), not by the clip length.
 */
import { add, cast, concat, gatherElements, Graph, greater, matMul, mul, reshape, sigmoid, sliceAxis, sub, tensorData, transpose, unsqueeze, argMax, expand, type Tensor } from 'omni-r1';
import type { Sam2Config } from '../config.js';
import { ModuleContext } from '../model/common.js';
import { embeddingGeometry } from '../model/image-graphs.js';
import { maskDecoder, singleMaskOutputs, type MaskDecoderOutputs } from '../model/mask-decoder.js';
import { memoryConditionedFeatures } from '../model/memory-attention.js';
import { addOcclusionEmbedding, memoryEncoder } from '../model/memory-encoder.js';
import { objectPointers } from '../model/object-pointer.js';
import { sine1d } from '../model/position-encoding.js';
import { imageWidePositionalEmbedding, noMaskDenseEmbedding, sparsePromptEmbeddings } from '../model/prompt-encoder.js';
import { imageEncoder } from '../model/vision-encoder.js';
import { resizeBilinear } from '../resize.js';
import type { Sam2VideoConfig } from '../video/video-config.js';
import type { WeightSource } from '../weights.js';
import { sam2Loss, type Sam2LossTerms } from './sam2-loss.js';
import { FROZEN_TENSORS, POS_EMBED_RESIZED } from './train-graph.js';

/** The predictor's logit for frames where the object is absent. */
const NO_OBJECT_SCORE = -1024;

export const VIDEO_TRAIN_INPUTS = {
  pixels: 'pixel_values',
  points: 'input_points',
  labels: 'input_labels',
  boxes: 'input_boxes',
  trackPoints: 'track_points',
  trackLabels: 'track_labels',
  targets: 'target_masks',
} as const;

export interface VideoTrainGraph {
  graph: Graph;
  terms: Sam2LossTerms;
  trainable: string[];
  maskSize: number;
  frames: number;
}

/**
 * The bilinear (align_corners=False) resize matrix [out, in] of one axis, column j = the resize of the j-th unit
 * vector: resize(x) = U x U^T for a square map.
 */
export function bilinearResizeMatrix(inSize: number, outSize: number): Float32Array {
  const out = new Float32Array(outSize * inSize);
  for (let j = 0; j < inSize; j++) {
    const unit = new Float32Array(inSize);
    unit[j] = 1;
    const column = resizeBilinear({ channels: 1, height: inSize, width: 1, data: unit }, outSize, 1).data;
    for (let i = 0; i < outSize; i++) out[i * inSize + j] = column[i]!;
  }
  return out;
}

/** Which earlier frames frame t reads (memory bank order): spatial memories with their slot, pointers with their difference. */
export function clipMemorySelection(t: number, numMaskmem: number, maxPointers: number): { spatial: Array<{ frame: number; slot: number }>; pointers: Array<{ frame: number; difference: number }> } {
  const spatial = [{ frame: 0, slot: numMaskmem - 1 }];
  for (let steps = 1; steps < numMaskmem; steps++) if (t - steps >= 1) spatial.push({ frame: t - steps, slot: steps - 1 });
  const pointers = [{ frame: 0, difference: t }];
  for (let steps = 1; steps < maxPointers; steps++) if (t - steps >= 1) pointers.push({ frame: t - steps, difference: steps });
  return { spatial, pointers };
}

export function buildVideoTrainGraph(config: Sam2Config, video: Sam2VideoConfig, weights: WeightSource, frames: number): VideoTrainGraph {
  if (!Number.isInteger(frames) || frames < 2) throw new Error(`a training clip needs at least 2 frames, got ${frames}`);
  const g = new Graph('sam2_video_train');
  const ctx = new ModuleContext(g, weights);
  const { inputSize, hidden, height, width } = embeddingGeometry(config);
  const maskSize = 4 * height;
  const memDim = video.memoryEncoder.outputChannels;
  const outputs = config.maskDecoder.numMultimaskOutputs + 1;
  const I = VIDEO_TRAIN_INPUTS;
  const pixels = g.input(I.pixels, 'float32', [frames, 3, inputSize, inputSize]);
  const points = g.input(I.points, 'float32', [1, 1, 'num_points', 2]);
  const labels = g.input(I.labels, 'int64', [1, 1, 'num_points']);
  const boxes = g.input(I.boxes, 'float32', [1, 'num_boxes', 4]);
  const trackPoints = g.input(I.trackPoints, 'float32', [1, 1, 1, 2]);
  const trackLabels = g.input(I.trackLabels, 'int64', [1, 1, 1]);
  const targets = g.input(I.targets, 'float32', [frames, maskSize, maskSize]);

  const features = imageEncoder(ctx, pixels, config);
  const frame = (x: Tensor, t: number) => sliceAxis(x, 0, t, t + 1);
  const dense = noMaskDenseEmbedding(ctx, 'prompt_encoder', hidden);
  const imagePe = imageWidePositionalEmbedding(ctx, height, width);
  const decode = (t: number, imageEmbedding: Tensor, prompt: { points: Tensor; labels: Tensor }): MaskDecoderOutputs => {
    const sparse = sparsePromptEmbeddings(ctx, 'prompt_encoder', { ...prompt, boxes }, config.promptEncoder);
    const inputs = { sparse: sparse.embeddings, batch: sparse.batch, objects: sparse.objects, imageEmbedding, dense, imagePositionalEmbedding: imagePe };
    return maskDecoder(ctx, 'mask_decoder', { ...inputs, highRes0: frame(features.highRes0.x, t), highRes1: frame(features.highRes1.x, t), height, width }, config.maskDecoder);
  };

  const resize = g.constant(tensorData('float32', [inputSize, maskSize], bilinearResizeMatrix(maskSize, inputSize)));
  const resizeT = g.constant(tensorData('float32', [maskSize, inputSize], transposed(bilinearResizeMatrix(maskSize, inputSize), inputSize, maskSize)));
  /** _encode_new_memory: the chosen low-res mask [1, 1, 4h, 4w] (absent objects at NO_OBJECT_SCORE) -> memory tokens [1, hw, mem_dim]. */
  const remember = (t: number, lowRes: Tensor, score: Tensor, binarize: boolean): Tensor => {
    const appearing = reshape(cast(greater(score, 0), 'float32'), [1, 1, 1, 1]);
    const shown = add(mul(appearing, lowRes), mul(sub(1, appearing), NO_OBJECT_SCORE));
    const high = matMul(matMul(resize, shown), resizeT);
    const p = binarize ? cast(greater(high, 0), 'float32') : sigmoid(high);
    const maskForMemory = add(mul(p, video.sigmoidScaleForMemEnc), video.sigmoidBiasForMemEnc);
    let encoded = memoryEncoder(ctx, 'memory_encoder', frame(features.visionFeatures.x, t), maskForMemory, video);
    if (video.enableOcclusionSpatialEmbedding) encoded = addOcclusionEmbedding(ctx, encoded, reshape(score, [1, 1]), memDim);
    return transpose(reshape(encoded, [1, memDim, height * width]), [0, 2, 1]);
  };

  const memories: Tensor[] = [];
  const pointers: Tensor[] = [];
  const perFrame: MaskDecoderOutputs[] = [];
  const first = decode(0, frame(features.imageEmbedding.x, 0), { points, labels });
  perFrame.push(first);
  const single = singleMaskOutputs(first, config.maskDecoder);
  memories.push(remember(0, reshape(single.masks, [1, 1, maskSize, maskSize]), first.objectScoreLogits, true));
  pointers.push(reshape(sliceAxis(objectPointers(ctx, first.maskTokens, first.objectScoreLogits, hidden), 2, 0, 1), [1, 1, hidden]));

  const maxPointers = video.maxObjectPointersInEncoder;
  for (let t = 1; t < frames; t++) {
    const selection = clipMemorySelection(t, video.numMaskmem, maxPointers);
    const conditioned = memoryConditionedFeatures(
      ctx,
      {
        visionFeatures: frame(features.visionFeatures.x, t),
        memory: concat(selection.spatial.map((s) => memories[s.frame]!), 1),
        temporalIndex: g.constant(tensorData('int64', [selection.spatial.length], selection.spatial.map((s) => s.slot))),
        pointers: concat(selection.pointers.map((p) => pointers[p.frame]!), 1),
        pointerTemporalEncoding: g.constant(
          tensorData('float32', [selection.pointers.length, hidden], sine1d(selection.pointers.map((p) => p.difference / (maxPointers - 1)), hidden)),
        ),
      },
      config,
      video,
    );
    const decoded = decode(t, conditioned, { points: trackPoints, labels: trackLabels });
    perFrame.push(decoded);
    if (t === frames - 1) break;
    // The best multimask output by predicted IoU (tokens 1..M-1), and its object pointer.
    const best = add(argMax(sliceAxis(reshape(decoded.iouScores, [1, outputs]), 1, 1), 1, true), 1);
    const lowRes = gatherElements(reshape(decoded.masks, [1, outputs, maskSize * maskSize]), expand(unsqueeze(best, [2]), g.constant(tensorData('int64', [3], [1, 1, maskSize * maskSize]))), 1);
    memories.push(remember(t, reshape(lowRes, [1, 1, maskSize, maskSize]), decoded.objectScoreLogits, false));
    const tokenPointers = reshape(objectPointers(ctx, decoded.maskTokens, decoded.objectScoreLogits, hidden), [1, outputs, hidden]);
    pointers.push(gatherElements(tokenPointers, expand(unsqueeze(best, [2]), g.constant(tensorData('int64', [3], [1, 1, hidden]))), 1));
  }

  const terms = sam2Loss({
    masks: concat(perFrame.map((d) => reshape(d.masks, [1, outputs, maskSize * maskSize])), 0),
    iouScores: concat(perFrame.map((d) => reshape(d.iouScores, [1, outputs])), 0),
    objectScoreLogits: concat(perFrame.map((d) => reshape(d.objectScoreLogits, [1, 1])), 0),
    targets: reshape(targets, [frames, 1, maskSize * maskSize]),
  });
  const trainable = [...g.initializers.keys()].filter((name) => weights.has(name) && isVideoStageTrainable(name));
  return { graph: g, terms, trainable, maskSize, frames };
}

/**
 * The video stage trains everything after the image encoder (prompt encoder, mask decoder, no_memory_embedding and
 * the memory path) and freezes Hiera + FPN: the image stage already trained them on many more images than the clips
 * here cover, and their backward pass is most of a step's cost.
 */
export function isVideoStageTrainable(name: string): boolean {
  return !name.startsWith('vision_encoder.') && name !== POS_EMBED_RESIZED && !FROZEN_TENSORS.includes(name);
}

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}
