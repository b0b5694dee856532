/**
 * The image-mode training graph: pixels -> image encoder (Hiera + FPN + no-memory embedding) -> prompt encoder
 * (one prompt per object, several objects per image: a box, or a click) -> mask decoder -> SAM2's loss against low-resolution target masks. The decoder's masks are
 * compared at their own resolution (4h x 4w), not upsampled to the input size as the reference trainer does.
 */
import { Graph, reshape } from 'omni-r1';
import type { Sam2Config } from '../config.js';
import { ModuleContext } from '../model/common.js';
import { embeddingGeometry } from '../model/image-graphs.js';
import { maskDecoder } from '../model/mask-decoder.js';
import { imageWidePositionalEmbedding, noMaskDenseEmbedding, sparsePromptEmbeddings } from '../model/prompt-encoder.js';
import { imageEncoder } from '../model/vision-encoder.js';
import type { WeightSource } from '../weights.js';
import { sam2Loss, type Sam2LossTerms } from './sam2-loss.js';

/** The resized Hiera position embedding the graph adds (trained in place of pos_embed; see nano-config.ts). */
export const POS_EMBED_RESIZED = 'vision_encoder.backbone.pos_embed_resized';
/** Buffers of the reference model: the random Fourier matrix is not a parameter. */
export const FROZEN_TENSORS = ['shared_image_embedding.positional_embedding', 'prompt_encoder.shared_embedding.positional_embedding'];

export const TRAIN_INPUTS = { pixels: 'pixel_values', boxes: 'input_boxes', points: 'input_points', labels: 'input_labels', targets: 'target_masks' } as const;

export interface ImageTrainGraph {
  graph: Graph;
  terms: Sam2LossTerms;
  /** Initializers to train: every parameter the loss reaches, minus the buffers. */
  trainable: string[];
  /** Side of the low-resolution masks (4h). */
  maskSize: number;
}

export function buildImageTrainGraph(config: Sam2Config, weights: WeightSource): ImageTrainGraph {
  const g = new Graph('sam2_image_train');
  const ctx = new ModuleContext(g, weights);
  const geometry = embeddingGeometry(config);
  const { inputSize, hidden, height, width } = geometry;
  const maskSize = 4 * height;
  const pixels = g.input(TRAIN_INPUTS.pixels, 'float32', ['batch', 3, inputSize, inputSize]);
  // Prompts as the transformers.js decoder takes them: boxes [B, nb, 4] (nb 0), points [B, P, N, 2] with labels:
  // P objects of each image, each with its own prompt and target mask (the encoder runs once per image).
  const boxes = g.input(TRAIN_INPUTS.boxes, 'float32', ['batch', 'num_boxes', 4]);
  const points = g.input(TRAIN_INPUTS.points, 'float32', ['batch', 'objects', 'num_points', 2]);
  const labels = g.input(TRAIN_INPUTS.labels, 'int64', ['batch', 'objects', 'num_points']);
  const targets = g.input(TRAIN_INPUTS.targets, 'float32', ['batch', 'objects', maskSize, maskSize]);

  const features = imageEncoder(ctx, pixels, config);
  const sparse = sparsePromptEmbeddings(ctx, 'prompt_encoder', { points, labels, boxes }, config.promptEncoder);
  const decoded = maskDecoder(
    ctx,
    'mask_decoder',
    {
      sparse: sparse.embeddings,
      batch: sparse.batch,
      objects: sparse.objects,
      imageEmbedding: features.imageEmbedding.x,
      dense: noMaskDenseEmbedding(ctx, 'prompt_encoder', hidden),
      imagePositionalEmbedding: imageWidePositionalEmbedding(ctx, height, width),
      highRes0: features.highRes0.x,
      highRes1: features.highRes1.x,
      height,
      width,
    },
    config.maskDecoder,
  );
  const outputs = config.maskDecoder.numMultimaskOutputs + 1;
  const terms = sam2Loss({
    masks: reshape(decoded.masks, [-1, outputs, maskSize * maskSize]),
    iouScores: reshape(decoded.iouScores, [-1, outputs]),
    objectScoreLogits: reshape(decoded.objectScoreLogits, [-1, 1]),
    targets: reshape(targets, [-1, 1, maskSize * maskSize]),
  });
  const trainable = [...g.initializers.keys()].filter((name) => (weights.has(name) || name === POS_EMBED_RESIZED) && !FROZEN_TENSORS.includes(name));
  return { graph: g, terms, trainable, maskSize };
}
