/**
 * The qwen-omni thinker as the training loop's TrainablePolicy: the scoring graph (buildQwen2LogProbGraph), prompts
 * through the checkpoint's chat template and tokenizer (with image, video and audio parts through the same
 * multimodal processor inference uses: prepareMultimodalPrompt over the checkpoint's frozen towers, see
 * training/media-encoders.ts), right-padded scoring batches on the prompts' own embeddings and TMRoPE positions, and
 * generation through an in-memory merged decoder whose trained tensors (LoRA adapters or full weights) are graph
 * inputs fed with the trainer's current values at every run.
 */
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  GraphSession,
  isTargetModule,
  writeSafetensors,
  type ChatMessage,
  type GeneratedCompletion,
  type GenerateRequest,
  type Graph,
  type ParameterizeGraph,
  type PolicyGenerator,
  type ScoringBatch,
  type ScoringGraph,
  type ScoringRow,
  type TensorData,
  type TrainablePolicy,
  type WeightTensor,
} from 'omni-r1';
import { loadChatTemplate, type ChatTemplate } from './chat-template.js';
import { loadQwenConfig } from './config.js';
import type { Qwen2TextConfig } from './config.js';
import { generate, PolicyModel } from './generate/index.js';
import { asFloat32, int64Tensor } from './generate/tensors.js';
import { buildEmbedTokens, buildQwen2Decoder, buildQwen2LogProbGraph, COPIED_FILES, expectedTextTensors, openTextCheckpoint, readDecoderWeights, type DecoderWeights } from './model/index.js';
import { checkpointTensorName, type TextCheckpoint } from './model/weights.js';
import { QwenTokenizer } from './tokenizer.js';
import { prepareMultimodalPrompt, type AudioEncoder, type VisionEncoder } from './processor/prepare.js';
import { TrainingMediaEncoders } from './training/media-encoders.js';
import { hasMedia, scoringRows, textTrainingPrompt, useAudioInVideoOf, type TrainingPrompt } from './training/prompt.js';

export interface TrainableEstimate {
  description: string;
  /** Decoder parameters (embedding included). */
  parameters: number;
  /** Adapter parameters for the given targets and rank. */
  loraParameters: number;
}

/** Encoded prompts kept for the messages objects last seen (the rollout and the learner encode the same problem). */
const PROMPT_CACHE_SIZE = 32;

export class QwenTrainablePolicy implements TrainablePolicy {
  readonly description: string;
  readonly parameterBytes: number;
  readonly endOfTurnId: number;
  private readonly prompts = new Map<ChatMessage[], Promise<TrainingPrompt>>();

  private constructor(
    private readonly source: TextCheckpoint,
    private readonly text: Qwen2TextConfig,
    private readonly weights: DecoderWeights,
    private readonly tokenizer: QwenTokenizer,
    private readonly template: ChatTemplate,
    private readonly embedSession: GraphSession,
    private readonly media: TrainingMediaEncoders,
  ) {
    this.description = `${source.config.kind} checkpoint ${source.dir} (${text.numHiddenLayers} layers, hidden ${text.hiddenSize}, vocab ${text.vocabSize})`;
    let bytes = 0;
    for (const w of weights.values()) if ('data' in w) bytes += w.data.byteLength;
    this.parameterBytes = bytes;
    this.endOfTurnId = tokenizer.special.imEnd.id;
  }

  /** Opens a checkpoint folder (config.json + safetensors + tokenizer files) with float32 weights. */
  static async open(dir: string): Promise<QwenTrainablePolicy> {
    const source = await openTextCheckpoint(dir);
    try {
      const weights = await readDecoderWeights(source, { format: { float: 'float32', int4: false } });
      const tokenizer = await QwenTokenizer.load(dir);
      const template = await loadChatTemplate(dir);
      const embed = await GraphSession.create(buildEmbedTokens(source.config.text, weights), { optimization: 'basic' });
      return new QwenTrainablePolicy(source, source.config.text, weights, tokenizer, template, embed, new TrainingMediaEncoders(source));
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /** Parameter counts from config.json alone (the dry-run plan): all decoder weights, and LoRA's for `targets`/`rank`. */
  static async estimate(dir: string, lora?: { rank: number; targets: readonly string[] }): Promise<TrainableEstimate> {
    const config = await loadQwenConfig(dir);
    const tensors = expectedTextTensors(config.text);
    let parameters = 0;
    let loraParameters = 0;
    for (const t of tensors) {
      parameters += t.shape.reduce((a, b) => a * b, 1);
      const module = t.name.replace(/\.weight$/, '');
      if (lora && t.shape.length === 2 && t.name.endsWith('.weight') && isTargetModule(module, lora.targets) && !t.name.includes('embed_tokens')) {
        loraParameters += lora.rank * (t.shape[0]! + t.shape[1]!);
      }
    }
    return {
      description: `${config.kind} checkpoint ${dir} (${config.text.numHiddenLayers} layers, hidden ${config.text.hiddenSize}, vocab ${config.text.vocabSize})`,
      parameters,
      loraParameters,
    };
  }

  buildScoringGraph(): ScoringGraph {
    return buildQwen2LogProbGraph(this.text, this.weights);
  }

  encodeText(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: true });
  }

  /**
   * The chat template's prompt with the generation prompt appended. Messages with image, video or audio parts go
   * through prepareMultimodalPrompt as at inference, with use_audio_in_video when a video part carries its audio
   * (useAudioInVideoOf). The last PROMPT_CACHE_SIZE results are kept per messages object.
   */
  encodePrompt(messages: ChatMessage[]): Promise<TrainingPrompt> {
    const cached = this.prompts.get(messages);
    if (cached) {
      this.prompts.delete(messages);
      this.prompts.set(messages, cached);
      return cached;
    }
    const pending = hasMedia(messages) ? this.multimodalPrompt(messages) : this.textPrompt(messages);
    this.prompts.set(messages, pending);
    pending.catch(() => this.prompts.delete(messages));
    if (this.prompts.size > PROMPT_CACHE_SIZE) this.prompts.delete(this.prompts.keys().next().value!);
    return pending;
  }

  async scoringFeeds(rows: readonly ScoringRow[]): Promise<ScoringBatch> {
    const prompts = rows.map((r) => r.prompt as TrainingPrompt);
    const hidden = this.text.hiddenSize;
    const B = rows.length;
    const { embeds, mask, targets, positions, length } = await scoringRows({
      prompts,
      completions: rows.map((r) => r.completion),
      hidden,
      embedIds: (ids) => this.embedIds(ids),
    });
    return {
      feeds: {
        inputs_embeds: { dtype: 'float32', shape: [B, length, hidden], data: embeds },
        attention_mask: int64Tensor([B, length], mask),
        position_ids: int64Tensor([3, B, length], positions),
        target_ids: int64Tensor([B, length], targets),
      },
      length,
      completionOffsets: prompts.map((p) => p.length - 1),
    };
  }

  async openGenerator(parameterize: ParameterizeGraph): Promise<PolicyGenerator> {
    const graph = buildQwen2Decoder(this.text, this.weights);
    const fed = parameterize(graph);
    promoteToInputs(graph, fed);
    const decoder = await GraphSession.create(graph, { optimization: 'basic' });
    let current: ReadonlyMap<string, TensorData> = new Map();
    // The decoder session with the trained tensors added to every run's feeds.
    const withParameters = {
      session: decoder.session,
      inputNames: decoder.inputNames,
      outputNames: decoder.outputNames,
      run: (feeds: Record<string, TensorData>, fetches?: string[]) => {
        const all = { ...feeds };
        for (const name of fed) {
          const value = current.get(name);
          if (!value) throw new Error(`generator: no value for trained tensor ${name}`);
          all[name] = value;
        }
        return decoder.run(all, fetches);
      },
      release: () => decoder.release(),
    } as unknown as GraphSession;
    const model = PolicyModel.fromSessions(this.embedSession, withParameters, 'the training decoder');
    const eos = [this.tokenizer.special.imEnd.id, this.tokenizer.special.endOfText.id];
    return {
      generate: async (prompt, parameters, request: GenerateRequest): Promise<GeneratedCompletion[]> => {
        current = parameters;
        const result = await generate(model, prompt as TrainingPrompt, {
          maxNewTokens: request.maxNewTokens,
          numSamples: request.numSamples,
          doSample: true,
          temperature: request.temperature,
          topP: request.topP,
          seed: request.seed,
          eosTokenIds: eos,
        });
        return result.samples.map((s) => ({ tokenIds: s.tokenIds, logProbs: s.logProbs, text: this.decode(s.tokenIds) }));
      },
      release: () => decoder.release(),
    };
  }

  async writeCheckpoint(dir: string, weights: ReadonlyMap<string, TensorData>): Promise<void> {
    const tensors: Record<string, WeightTensor> = {};
    for (const name of this.source.checkpoint.names()) tensors[name] = await this.source.checkpoint.read(name);
    for (const [canonical, value] of weights) {
      const name = checkpointTensorName(canonical, this.source.layout);
      const original = tensors[name];
      if (!original) throw new Error(`writeCheckpoint: ${canonical} (${name}) is not a tensor of ${this.source.dir}`);
      tensors[name] = value.dtype === original.dtype ? value : convertLike(value, original);
    }
    await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    for (const file of COPIED_FILES) if (existsSync(join(this.source.dir, file))) await copyFile(join(this.source.dir, file), join(dir, file));
  }

  async release(): Promise<void> {
    this.prompts.clear();
    await this.media.release();
    await this.embedSession.release();
    await this.source.close();
  }

  private async textPrompt(messages: ChatMessage[]): Promise<TrainingPrompt> {
    const inputIds = this.tokenizer.encode(this.template.render(messages, { addGenerationPrompt: true }));
    return textTrainingPrompt(inputIds, await this.embedTokens(inputIds));
  }

  private async multimodalPrompt(messages: ChatMessage[]): Promise<TrainingPrompt> {
    const { thinker, preprocessor } = await this.media.mediaConfig();
    const useAudioInVideo = useAudioInVideoOf(messages);
    const parts = messages.flatMap((message) => message.content);
    const needsVision = parts.some((part) => part.type === 'image' || part.type === 'video');
    const needsAudio = parts.some((part) => part.type === 'audio' || (part.type === 'video' && useAudioInVideo));
    const vision: VisionEncoder | undefined = needsVision ? await this.media.visionEncoder() : undefined;
    const audio: AudioEncoder | undefined = needsAudio ? await this.media.audioEncoder() : undefined;
    const prompt = await prepareMultimodalPrompt(
      messages,
      { thinker, preprocessor, tokenizer: this.tokenizer, template: this.template, embedder: { embed: (ids) => this.embedTokens(ids) }, vision, audio },
      { useAudioInVideo },
    );
    const { inputIds, inputsEmbeds, positionIds, ropeDelta } = prompt;
    return { length: inputIds.length, inputIds, inputsEmbeds, positionIds, ropeDelta };
  }

  /** inputs_embeds [1, L, H] (float32) of token ids. */
  private async embedTokens(ids: readonly number[]): Promise<TensorData> {
    return { dtype: 'float32', shape: [1, ids.length, this.text.hiddenSize], data: await this.embedIds(ids) };
  }

  private async embedIds(ids: readonly number[]): Promise<Float32Array> {
    const out = await this.embedSession.run({ input_ids: int64Tensor([1, ids.length], ids) });
    return Float32Array.from(asFloat32(Object.values(out)[0]!));
  }
}

function promoteToInputs(graph: Graph, names: readonly string[]): void {
  for (const name of names) {
    if (!graph.initializers.delete(name)) throw new Error(`generator: ${name} is not an initializer of the decoder graph`);
    graph.inputs.push(name);
  }
}

function convertLike(value: TensorData, like: WeightTensor): WeightTensor {
  if (value.dtype !== 'float32') throw new Error(`writeCheckpoint: cannot convert ${value.dtype} to ${like.dtype}`);
  // Merged weights are written in float32 when the checkpoint stored another float type.
  return value as WeightTensor;
}
