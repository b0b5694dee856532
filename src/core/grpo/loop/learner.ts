/**
 * The learner side of the seam: the scoring graph with adapters (LoRA) or all its weights trainable (full),
 * the loss on top, compiled into one training step run by the graph engine's Trainer (AdamW, clipping,
 * schedule, accumulation); and the reference model, the same scoring graph without adapters / with the
 * initial weights, as an inference session.
 */
import { injectLora, type LoraModel } from '../../graph/lora/index.js';
import { GraphSession, type Feeds } from '../../graph/runtime.js';
import type { TensorData } from '../../graph/tensor-data.js';
import { compileTrainStep, cosineWithWarmup, Trainer, type MicroBatchResult, type StepResult } from '../../graph/train/index.js';
import { buildGrpoObjective, buildSftObjective, LOSS_INPUTS, type ObjectiveOptions } from './objective.js';
import type { ParameterizeGraph, ScoringBatch, TrainablePolicy } from './policy.js';

export type AdapterSettings = { kind: 'lora'; rank: number; alpha: number; targets: string[]; seed: number } | { kind: 'full' };

export type LearnerObjective = ({ kind: 'grpo' } & ObjectiveOptions) | { kind: 'sft' };

export interface OptimizerSettings {
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  warmupSteps: number;
  totalSteps: number;
}

export interface LearnerOptions {
  adapter: AdapterSettings;
  objective: LearnerObjective;
  optimizer: OptimizerSettings;
}

/** Per row of a batch, which completion tokens are scored and their per-token values. */
export interface RowTokens {
  offset: number;
  values: readonly number[];
}

export class Learner {
  private constructor(
    readonly trainer: Trainer,
    readonly parameterize: ParameterizeGraph,
    /** The adapters of the training graph (LoRA runs). */
    readonly lora: LoraModel | undefined,
    private readonly reference: GraphSession | undefined,
    private readonly objectiveFeeds: { old: boolean; ref: boolean; normalizer: boolean },
  ) {}

  static async create(policy: TrainablePolicy, options: LearnerOptions): Promise<Learner> {
    const scoring = policy.buildScoringGraph();
    const parameterize = graphParameterizer(options.adapter, scoring.parameterNames);
    let lora: LoraModel | undefined;
    let trainable: string[];
    if (options.adapter.kind === 'lora') {
      const { rank, alpha, targets, seed } = options.adapter;
      lora = injectLora(scoring.graph, { rank, alpha, targets, seed });
      trainable = lora.trainable;
    } else {
      trainable = parameterize(scoring.graph);
    }
    const objective =
      options.objective.kind === 'sft' ? buildSftObjective(scoring.graph, scoring.tokenLogProbs) : buildGrpoObjective(scoring.graph, scoring.tokenLogProbs, options.objective);
    const compiled = compileTrainStep(scoring.graph, { loss: objective.loss, metrics: objective.metrics, trainable });
    const { optimizer } = options;
    const trainer = await Trainer.create(compiled, {
      optimizer: { lr: optimizer.lr, weightDecay: optimizer.weightDecay },
      maxGradNorm: optimizer.maxGradNorm,
      schedule: cosineWithWarmup({ warmupSteps: optimizer.warmupSteps, totalSteps: optimizer.totalSteps }),
      session: { optimization: 'basic' },
    });
    const needsReference = objective.feeds.ref;
    const reference = needsReference ? await GraphSession.create(policy.buildScoringGraph().graph, { optimization: 'basic' }) : undefined;
    return new Learner(trainer, parameterize, lora, reference, objective.feeds);
  }

  /** Reference log-probs [B, L] of a batch (zeros without a reference model). */
  async referenceLogProbs(batch: ScoringBatch): Promise<Float32Array> {
    const rows = batch.completionOffsets.length;
    if (!this.reference) return new Float32Array(rows * batch.length);
    const out = await this.reference.run(batch.feeds, ['token_logprobs']);
    const values = Object.values(out)[0]!;
    return values.data instanceof Float32Array ? values.data : Float32Array.from(values.data as ArrayLike<number>);
  }

  /** Whether the step takes old-policy log-probs (TRL types), reference log-probs (beta != 0), dapo's normaliser. */
  get feeds(): { old: boolean; ref: boolean; normalizer: boolean } {
    return this.objectiveFeeds;
  }

  /** Adds one micro-batch's gradient (GRPO: feeds carry mask, advantages, reference and old log-probs). */
  accumulate(feeds: Feeds): Promise<MicroBatchResult> {
    return this.trainer.accumulate(feeds);
  }

  applyGradients(): StepResult {
    return this.trainer.applyGradients();
  }

  parameters(): Map<string, TensorData> {
    return this.trainer.parameters();
  }

  async release(): Promise<void> {
    await this.trainer.release();
    await this.reference?.release();
  }
}

/** The graph transform that makes a fresh graph compute the trained model (same adapters or weights). */
export function graphParameterizer(adapter: AdapterSettings, fullParameters: readonly string[]): ParameterizeGraph {
  if (adapter.kind === 'lora') {
    const { rank, alpha, targets, seed } = adapter;
    return (graph) => injectLora(graph, { rank, alpha, targets, seed }).trainable;
  }
  return (graph) => fullParameters.filter((name) => graph.initializers.has(name));
}

/** Float32 [B, L] with each row's values placed from its offset (masks, old log-probs). */
export function placeRows(rows: readonly RowTokens[], length: number): Float32Array {
  const out = new Float32Array(rows.length * length);
  rows.forEach((row, b) => {
    if (row.offset + row.values.length > length) throw new Error(`placeRows: row ${b} ends at ${row.offset + row.values.length}, past length ${length}`);
    out.set(row.values, b * length + row.offset);
  });
  return out;
}

export function float32Tensor(shape: number[], data: Float32Array): TensorData {
  return { dtype: 'float32', shape, data };
}

export { LOSS_INPUTS };
