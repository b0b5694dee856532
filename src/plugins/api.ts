/**
 * The plugin API. A plugin contributes backends by answering the oclif hook event `omni:backends` with a list of
 * factories; `import type { ... } from 'omni-r1/plugin-api'` gives a plugin author these types.
 *
 * Backend kinds:
 * - `policy`: System 1 (and System 2 grounding): generate text from multimodal messages, score log-probs.
 * - `segmenter`: boxes/points -> masks on an image, optionally propagated through a video.
 * - `dataset`: a loader for a dataset layout.
 * - `reward`: a named reward function for GRPO.
 */

export type BackendKind = 'policy' | 'segmenter' | 'dataset' | 'reward';
export const BACKEND_KINDS: readonly BackendKind[] = ['policy', 'segmenter', 'dataset', 'reward'];

export type DeviceName = 'cpu' | 'cuda' | 'webgpu';

/** Options every backend factory receives. */
export interface BackendContext {
  /** Execution device resolved by the CLI (never `auto`). */
  device: DeviceName;
  /** A model reference: a store name, local folder or hub id; undefined means the backend's default. */
  model?: string;
  /** `$OMNI_HOME`, the model store root. */
  omniHome: string;
  /** Free-form backend options from the config file (`backends.<name>`). */
  options: Record<string, unknown>;
  /** Progress and warnings; backends never write to stdout themselves. */
  log: (message: string) => void;
  warn: (message: string) => void;
}

/** An RGB image, 8 bits per channel, row-major HWC. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A binary mask, row-major, 1 = object. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Box corners in pixels of the original image: [x1, y1, x2, y2]. */
export type Box = [number, number, number, number];

export interface MessagePart {
  type: 'text' | 'image' | 'video' | 'audio';
  text?: string;
  /** A file path, for image/video/audio parts. */
  path?: string;
  image?: RgbImage;
  frames?: RgbImage[];
  /** 16 kHz mono PCM. */
  pcm?: Float32Array;
  /** Seconds per frame group for `frames`, when frames are given directly. */
  fps?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: MessagePart[];
}

export interface SamplingOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  /** Number of completions sharing one prefill (a GRPO group). */
  numSamples?: number;
  useAudioInVideo?: boolean;
  onToken?: (text: string, sampleIndex: number) => void;
}

export interface Completion {
  text: string;
  tokenIds: number[];
  /** Log-prob of each generated token under the sampling distribution's model. */
  logProbs: number[];
  finishReason: 'eos' | 'stop' | 'length';
}

export interface PolicyBackend {
  readonly name: string;
  generate(messages: ChatMessage[], sampling: SamplingOptions): Promise<Completion[]>;
  /** Per-token log-probs of given completions after the prompt (reference/old-policy terms); use_audio_in_video as for generate. */
  scoreCompletions?(messages: ChatMessage[], completions: number[][], options?: Pick<SamplingOptions, 'useAudioInVideo'>): Promise<number[][]>;
  close(): Promise<void>;
}

export interface SegmentPrompt {
  objectId: number;
  box?: Box;
  points?: Array<{ x: number; y: number; label: 0 | 1 }>;
}

export interface FramePrompts {
  frameIndex: number;
  prompts: SegmentPrompt[];
}

/** Frames of a video, decoded lazily. */
export interface FrameSource {
  readonly frameCount: number;
  readonly width: number;
  readonly height: number;
  frame(index: number): Promise<RgbImage>;
}

export interface FrameMasks {
  frameIndex: number;
  /** objectId -> mask at the source's resolution. */
  masks: Map<number, BinaryMask>;
}

export interface SegmenterBackend {
  readonly name: string;
  /** Whether `propagate` exists; callers fall back to per-frame prompting when false. */
  readonly canPropagate: boolean;
  segmentImage(image: RgbImage, prompts: SegmentPrompt[]): Promise<Map<number, BinaryMask>>;
  propagate?(video: FrameSource, prompts: FramePrompts[]): AsyncIterable<FrameMasks>;
  close(): Promise<void>;
}

export interface DatasetItem {
  id: string;
  [key: string]: unknown;
}

export interface DatasetBackend {
  readonly name: string;
  /** Reads the dataset at `root`; throws an InputError naming the file on bad data. */
  open(root: string, split: string, options?: { skipBad?: boolean }): Promise<AsyncIterable<DatasetItem> & { size?: number }>;
}

export interface RewardInput {
  completion: string;
  [key: string]: unknown;
}

export interface RewardBackend {
  readonly name: string;
  score(inputs: RewardInput[]): Promise<number[]>;
}

export interface BackendByKind {
  policy: PolicyBackend;
  segmenter: SegmenterBackend;
  dataset: DatasetBackend;
  reward: RewardBackend;
}

/** What a plugin returns from its `omni:backends` hook: one factory per backend. */
export interface BackendFactory<K extends BackendKind = BackendKind> {
  kind: K;
  /** Unique within its kind, e.g. `qwen-omni`, `sam2`. */
  name: string;
  description: string;
  create(context: BackendContext): Promise<BackendByKind[K]>;
}

export type AnyBackendFactory = { [K in BackendKind]: BackendFactory<K> }[BackendKind];

/** Options the CLI passes to the `omni:backends` hook. */
export interface BackendsHookOptions extends Record<string, unknown> {
  omniVersion: string;
}

export type BackendsHookResult = AnyBackendFactory[];

/** Name of the oclif hook event plugins answer. */
export const BACKENDS_HOOK = 'omni:backends';
