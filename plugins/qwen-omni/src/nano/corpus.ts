/**
 * The text the nano tokenizer's BPE is learned on: everything the nano thinker reads or writes in this toolkit.
 * The System 1 and System 2 prompts exactly as the pipeline renders them, the expressions of synthetic videos
 * (`omni data synth`), SFT targets and grounding answers in the authors' JSON formats, the chat template's fixed
 * text, and digits/punctuation. Deterministic: the same call gives the same text.
 */
import {
  generateVideo,
  groundingSftTarget,
  NO_HINT_EXAMPLE_ONE_MOMENT,
  NO_HINT_EXAMPLE_TWO_MOMENTS,
  refAvsSftTarget,
  renderGroundingPrompt,
  renderRefAvsGroundingPrompt,
  renderRefAvsPrompt,
  renderSegZeroPrompt,
  renderVosPrompt,
  SeededRandom,
  segZeroSolutionText,
  VIDEO_TIMESTAMP_NO_HINT_TEMPLATE,
  VISIONREASONER_EXAMPLE_ANSWER,
  vosSftTarget,
  vosTarget,
  type ExpressionRole,
  type UnseenKindRule,
} from 'omni-r1';

/** Synthetic videos whose expressions go into the corpus (per role). */
const VIDEOS_PER_ROLE = 24;

/** The synthetic expressions of `count` small videos per role, deduplicated, in generation order. */
export function synthExpressions(count = VIDEOS_PER_ROLE): string[] {
  const roles: Array<{ role: ExpressionRole; unseenKind: UnseenKindRule }> = [
    { role: 'mixed', unseenKind: 'allow' },
    { role: 'unseen', unseenKind: 'require' },
    { role: 'null', unseenKind: 'allow' },
  ];
  const expressions = new Set<string>();
  for (const [r, { role, unseenKind }] of roles.entries()) {
    for (let index = 0; index < count; index++) {
      const video = generateVideo({ name: `corpus-${r}-${index}`, seed: 9000 + r, index, width: 64, height: 64, frames: 12, fps: 2, unseenKind, role });
      for (const expression of video.expressions) expressions.add(expression.text);
    }
  }
  return [...expressions];
}

/** A few boxes in the grounding answer formats (`bbox_2d`, and `point_2d` of the VisionReasoner prompt). */
function groundingAnswers(random: SeededRandom, count: number): string[] {
  const coordinate = () => random.int(0, 320);
  const answers: string[] = [VISIONREASONER_EXAMPLE_ANSWER];
  for (let i = 0; i < count; i++) {
    const box = [coordinate(), coordinate(), coordinate(), coordinate()];
    answers.push(`<think>The object is at the box.</think><answer>[{"bbox_2d": [${box.join(', ')}]}]</answer>`);
    answers.push(`[{"bbox_2d": [${box.join(',')}], "point_2d": [${coordinate()},${coordinate()}]}]`);
    answers.push(`{"bbox_2d": [${box.join(', ')}], "label": "object"}`);
  }
  return answers;
}

/** The nano tokenizer's training text. */
export function nanoTokenizerCorpus(): string {
  const random = SeededRandom.fromSeed(7, 0);
  const expressions = synthExpressions();
  const parts: string[] = [
    // The chat template's role names, which follow a special token (so no leading space).
    'system\nuser\nassistant\nsystem\nuser\nassistant\n',
    'system user assistant',
    'You are a helpful assistant.',
    VIDEO_TIMESTAMP_NO_HINT_TEMPLATE,
    NO_HINT_EXAMPLE_ONE_MOMENT,
    NO_HINT_EXAMPLE_TWO_MOMENTS,
    '0 1 2 3 4 5 6 7 8 9 00:00.00 00:01.50 12.5, [ ] { } ( ) " : ; \' . , ! ? - _ / * # < > = + %',
  ];
  for (const [i, expression] of expressions.entries()) {
    const frameCount = 8 + (i % 17);
    parts.push(renderVosPrompt({ expression, frameCount, seed: i }));
    parts.push(renderRefAvsPrompt(expression), renderGroundingPrompt(expression), renderGroundingPrompt(expression, 'visionreasoner'), renderRefAvsGroundingPrompt(expression));
    // Visibility of the target over the sampled frames: a random run of visible frames.
    const first = random.int(0, frameCount - 1);
    const last = random.int(first, frameCount - 1);
    const masks = [Array.from({ length: frameCount }, (_, f) => ({ width: 1, height: 1, data: Uint8Array.of(f >= first && f <= last ? 1 : 0) }))];
    parts.push(vosSftTarget({ ...vosTarget(masks), expression, frameIndices: [], framePaths: [] }));
    parts.push(refAvsSftTarget({ expression }));
    // The image-grounding (SegZero) problems `omni train --dataset revos-grounding` builds, and their SFT target.
    parts.push(renderSegZeroPrompt(expression));
    const [x1, y1] = [random.int(0, 150), random.int(0, 150)];
    const solution = segZeroSolutionText([x1, y1, x1 + random.int(8, 160), y1 + random.int(8, 160)], [[x1 + 4, y1 + 4], [x1 + 6, y1 + 5]]);
    parts.push(groundingSftTarget({ expression, solution, imageWidth: 320, imageHeight: 320, resizedWidth: 308, resizedHeight: 308 }));
  }
  parts.push(...groundingAnswers(random, 40));
  return parts.join('\n');
}
