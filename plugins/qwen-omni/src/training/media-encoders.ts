/**
 * The thinker's vision and audio towers for training prompts, built in memory from the checkpoint's safetensors with
 * the builders `omni export policy` writes the encoder files with (vision/vision-encoder.ts, audio/encoder.ts), in
 * float32. They stay frozen: Omni-R1 trains LoRA adapters on the language model only (the towers' outputs enter the
 * scoring graph as fixed inputs_embeds), so the encoders are inference sessions, opened on the first prompt that needs
 * them.
 */
import { join } from 'node:path';
import { convertFloat, GraphSession, InputError, serialize, type TensorData } from 'omni-r1';
import { buildAudioEncoder } from '../audio/encoder.js';
import { audioTowerTensorNames, audioTowerTensorShape } from '../audio/encoder-weights.js';
import { loadWhisperFeatureConfig } from '../audio/feature-config.js';
import type { QwenThinkerConfig } from '../config.js';
import type { TextCheckpoint } from '../model/weights.js';
import { audioEncoderOfSession } from '../processor/audio-adapter.js';
import type { AudioEncoder, VisionEncoder } from '../processor/prepare.js';
import { loadVisionPreprocessorConfig, type VisionPreprocessorConfig } from '../processor/preprocessor-config.js';
import { buildVisionEncoder } from '../vision/vision-encoder.js';
import { VisionEncoderSession } from '../vision/session.js';
import { expectedVisionTensors, readVisionWeights, VISUAL_PREFIX } from '../vision/weights.js';

const TEXT_ONLY_HINT = 'train on text-only prompts (no frames, images or audio), or train a Qwen2.5-Omni thinker checkpoint with its vision and audio towers';

/** The checkpoint's thinker config and its processor settings (preprocessor_config.json). */
export interface TrainingMediaConfig {
  thinker: QwenThinkerConfig;
  preprocessor: VisionPreprocessorConfig;
}

export class TrainingMediaEncoders {
  private config?: Promise<TrainingMediaConfig>;
  private vision?: Promise<VisionEncoderSession>;
  private audio?: Promise<{ session: GraphSession; encoder: AudioEncoder }>;

  constructor(private readonly source: TextCheckpoint) {}

  /** The thinker config (an InputError naming the folder for a checkpoint without towers) and preprocessor_config.json. */
  mediaConfig(): Promise<TrainingMediaConfig> {
    this.config ??= forgetOnFailure(this.loadConfig(), () => (this.config = undefined));
    return this.config;
  }

  visionEncoder(): Promise<VisionEncoder> {
    this.vision ??= forgetOnFailure(this.openVision(), () => (this.vision = undefined));
    return this.vision;
  }

  async audioEncoder(): Promise<AudioEncoder> {
    this.audio ??= forgetOnFailure(this.openAudio(), () => (this.audio = undefined));
    return (await this.audio).encoder;
  }

  async release(): Promise<void> {
    const vision = this.vision;
    const audio = this.audio;
    this.vision = undefined;
    this.audio = undefined;
    await Promise.all([vision?.then((v) => v.release()).catch(() => undefined), audio?.then((a) => a.session.release()).catch(() => undefined)]);
  }

  private async loadConfig(): Promise<TrainingMediaConfig> {
    const { dir, config } = this.source;
    if (!config.thinker) {
      throw new InputError(`${dir} holds a ${config.architecture} checkpoint, which has no vision or audio tower; its training prompts must be text only`, { file: dir, hint: TEXT_ONLY_HINT });
    }
    return { thinker: config.thinker, preprocessor: await loadVisionPreprocessorConfig(dir) };
  }

  private async openVision(): Promise<VisionEncoderSession> {
    const { thinker } = await this.mediaConfig();
    const { checkpoint, layout } = this.source;
    this.requireTower('vision', layout.visual === undefined ? undefined : layout.visual + expectedVisionTensors(thinker.vision)[0]!.name.slice(VISUAL_PREFIX.length));
    const weights = await readVisionWeights(checkpoint, layout, thinker.vision, 'float32');
    return VisionEncoderSession.create(serialize(buildVisionEncoder(thinker.vision, weights, { dtype: 'float32' })), thinker.vision);
  }

  private async openAudio(): Promise<{ session: GraphSession; encoder: AudioEncoder }> {
    const { thinker } = await this.mediaConfig();
    const { checkpoint, layout } = this.source;
    const prefix = layout.audioTower;
    this.requireTower('audio', prefix === undefined ? undefined : `${prefix}conv1.weight`);
    const weights = new Map<string, TensorData>();
    for (const name of audioTowerTensorNames(thinker.audio)) {
      const stored = `${prefix}${name}`;
      const expected = audioTowerTensorShape(thinker.audio, name);
      if (!checkpoint.has(stored)) throw new InputError(`${checkpoint.path}: checkpoint has no audio tower tensor ${stored}`, { file: checkpoint.path, hint: 'the weights do not match config.json; use a Qwen2.5-Omni checkpoint with its audio tower' });
      const tensor = await checkpoint.read(stored);
      if (tensor.shape.length !== expected.length || tensor.shape.some((d, i) => d !== expected[i])) {
        throw new InputError(`${checkpoint.path}: ${stored} has shape [${tensor.shape.join(', ')}], audio_config implies [${expected.join(', ')}]`, {
          file: checkpoint.path,
          hint: 'the weights do not match thinker_config.audio_config in config.json',
        });
      }
      weights.set(name, convertFloat(tensor, 'float32') as TensorData);
    }
    const graph = buildAudioEncoder(thinker.audio, (name) => weights.get(name) ?? missingAudioTensor(name), { dtype: 'float32' });
    const session = await GraphSession.create(graph);
    const featureConfig = await loadWhisperFeatureConfig(this.source.dir);
    return { session, encoder: audioEncoderOfSession(session, { featureConfig }) };
  }

  /** A thinker saved without a tower (text-only) refuses that tower's media, naming the folder. */
  private requireTower(kind: 'vision' | 'audio', probe: string | undefined): void {
    if (probe !== undefined && this.source.checkpoint.has(probe)) return;
    const what = kind === 'vision' ? 'images or video' : 'audio';
    throw new InputError(`${this.source.dir} has no ${kind} tower (no ${probe ?? `${kind} tensors`} in ${join(this.source.dir, '*.safetensors')}), so its training prompts cannot hold ${what}`, {
      file: this.source.dir,
      hint: TEXT_ONLY_HINT,
    });
  }
}

function missingAudioTensor(name: string): never {
  throw new Error(`audio tower tensor ${name} was not read`);
}

/** A cached promise that is dropped when it fails, so that a later call retries. */
function forgetOnFailure<T>(pending: Promise<T>, forget: () => void): Promise<T> {
  pending.catch(forget);
  return pending;
}
