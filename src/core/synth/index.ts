// Public API of src/core/synth: the deterministic synthetic omni-modal benchmark behind `omni data synth`.
export { SeededRandom } from './random.js';
export {
  BACKGROUND_GREYS,
  colourByName,
  NEVER_HEARD_SOUND,
  OBJECT_COLOURS,
  SHAPE_KINDS,
  SHAPE_PLURALS,
  SIZE_CLASSES,
  SIZE_RADIUS,
  SIZE_WORDS,
  SOUND_RIM_FRACTION,
  SOUND_RIM_RGB,
  TONES,
  toneByName,
  UNSEEN_KIND,
  type NamedColour,
  type ShapeKind,
  type SizeClass,
  type Tone,
} from './vocabulary.js';
export { shapeContains, shapePixels, type PlacedShape } from './shapes.js';
export { availableMotions, motionKey, motionPhrase, pathBounces, planEscape, planMotion } from './motion.js';
export type { Direction, Motion, MotionBounds, MotionKind, PlannedMotion, Point, Side } from './motion.js';
export { drawLayout, objectPixels, type Background, type LayoutOptions, type ObjectSound, type SynthObject, type SynthScene, type UnseenKindRule } from './scene.js';
export { backgroundColour, paintSoundRims, renderScene, soundRimPixels, soundRimWidth, type RenderedScene } from './render.js';
export { assignSounds, visibleRuns } from './sound.js';
export { encodeWav, frameSampleRange, synthesizeAudio, SYNTH_SAMPLE_RATE, TONE_AMPLITUDE, TONE_FADE_SECONDS } from './audio.js';
export {
  EXPRESSION_TYPE,
  expressionCandidates,
  NULL_TYPE,
  nullExpressionCandidates,
  REASONING_TYPE,
  REFERRING_TYPE,
  selectExpressions,
  type ExpressionCategory,
  type SynthExpression,
} from './expressions.js';
export { generateVideo, MAX_EXPRESSIONS_PER_VIDEO, NULL_EXPRESSIONS_PER_VIDEO, type ExpressionRole, type GeneratedVideo, type VideoSpec } from './video.js';
export { refAvsSplitCounts, refAvsSplitOf, REFAVS_SYNTH_SPLITS, revosSplitOf, REVOS_SYNTH_SPLITS, splitOf, type SplitAssignment, type SynthFormat } from './splits.js';
export { encodeSynthMedia, type SynthMediaRequest } from './encode.js';
export { RevosWriter, revosFrameName, type RevosExpressionEntry, type RevosVideoEntry } from './revos-writer.js';
export { RefAvsWriter, type RefAvsRowRecord } from './refavs-writer.js';
export { prepareSynthFolder, SYNTH_GENERATOR, SYNTH_MARKER_FILE } from './output-folder.js';
export {
  DEFAULT_SYNTH_FPS,
  DEFAULT_SYNTH_FRAMES,
  MIN_SYNTH_FRAMES,
  MIN_SYNTH_SIDE,
  synthesizeDataset,
  synthVideoName,
  SYNTH_VERSION,
  type SynthOptions,
  type SynthProgress,
  type SynthRecord,
  type SynthSummary,
  type SynthVideoRecord,
} from './dataset.js';
