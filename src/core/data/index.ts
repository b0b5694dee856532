// Public API of src/core/data: loaders for the official dataset layouts.
export { builtinDatasetBackends } from './backends.js';
export { openRevos, revosSplits } from './revos.js';
export { openMevis, MEVIS_SPLITS } from './mevis.js';
export { openRefAvs, REFAVS_SPLITS, REFAVS_FRAME_COUNT } from './refavs.js';
export { readRefAvsMetadata, vidFromUid, type RefAvsRow } from './refavs-metadata.js';
export { openRefCocog, refcocogShards } from './refcocog.js';
export { parseSegZeroSolution, type SegZeroSolution } from './refcocog-solution.js';
export { openVosDataset, type VosLayout } from './vos-dataset.js';
export { requireVosAudio, VOS_AUDIO_FILE } from './vos-audio.js';
export { EMPTY_BOX, emptyMask, maskBox, rleBox } from './masks.js';
export { readBinaryMaskPng } from './binary-png.js';
export { imageSizeFromHeader, readImageSize, sniffImageFormat, type ImageFormat, type ImageSize } from './image-size.js';
export { resolveInside } from './paths.js';
export type { DataProblem, LoadOptions } from './problems.js';
export type {
  BuiltinDatasetName,
  EmbeddedImage,
  LoadedDataset,
  ObjectMask,
  RefAvsItem,
  RefCocogItem,
  VosExpressionItem,
} from './types.js';
