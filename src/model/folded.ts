// Inference without tfjs-layers' graph executor, for predict(): each convolution with the batch
// normalisation after it folded into its weights and its ReLU fused into the same kernel (one
// fused convolution per block instead of a convolution, a bias, a batch normalisation and an
// activation), dropout skipped, other layers called directly. The same function as the network up
// to float rounding; it notices when the weights change (fit, setWeights) and is then rebuilt.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SeriesBlock } from './series-block.js';

type Padding = 'same' | 'valid';
type Layer = TFL.layers.Layer;

/**
 * One step of a member: a folded convolution, a 1-D max-pooling, or a layer called as it is.
 * series-block.ts takes the leading ones of a member onto the SIMD module. @internal
 */
export type Step =
  | {
      kind: 'conv';
      /** A Conv1D's kernel as a 1 × k Conv2D's (its input lifted to 4-D), or a Conv2D's. */
      filter: TF.Tensor4D;
      bias: TF.Tensor1D;
      activation: 'linear' | 'relu';
      strides: [number, number];
      pad: Padding;
      lift: boolean;
    }
  | { kind: 'pool'; size: number; stride: number; pad: Padding }
  | { kind: 'layer'; layer: Layer };

type Config = Record<string, unknown>;
const first = (v: unknown): number => (Array.isArray(v) ? v[0] : v) as number;
const pair = (v: unknown): [number, number] =>
  (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]) as [number, number];

/**
 * A network's members compiled into steps, with the averaged probabilities and the first member's
 * embedding (the input of its classifier) as outputs, as {@link jointNetwork} gives them. @internal
 */
export class FoldedNetwork {
  private constructor(
    private readonly tf: typeof TF,
    private readonly members: Step[][],
    private readonly owned: TF.Tensor[],
    private readonly weights: { variable: TFL.LayerVariable; id: object }[],
    /** Each member's leading convolutions on the SIMD module, where it has any (series-block.ts). */
    private readonly blocks: (SeriesBlock | null)[],
  ) {}

  /**
   * The folded form of a Sequential network, or of an ensemble as {@link EmotionModel.ensemble}
   * builds it (an input, Sequential members, an Average); null for any other structure, or for
   * members that do not end in a Dense classifier. `series: false` keeps every step on tfjs's
   * kernels (no SeriesBlock), for tests.
   */
  static of(
    tf: typeof TF,
    tfl: typeof TFL,
    net: TFL.LayersModel,
    { series = true }: { series?: boolean } = {},
  ): FoldedNetwork | null {
    const nested = net.layers.filter((l) => l instanceof tfl.LayersModel);
    const ensemble =
      nested.length > 0 &&
      net.layers.length === nested.length + 2 &&
      net.layers[0].getClassName() === 'InputLayer' &&
      net.layers[net.layers.length - 1].getClassName() === 'Average';
    const members = (ensemble ? nested : nested.length === 0 ? [net] : []) as TFL.LayersModel[];
    if (ensemble && !sideBySide(net, members)) return null;
    if (members.length === 0 || !members.every((m) => m instanceof tfl.Sequential)) return null;
    const chains = members.map((m) => m.layers.filter((l) => l.getClassName() !== 'InputLayer'));
    if (!chains.every((c) => c.length > 0 && c[c.length - 1].getClassName() === 'Dense')) return null;
    const owned: TF.Tensor[] = [];
    let steps: Step[][] = [];
    tf.tidy(() => {
      steps = chains.map((chain) => compile(tf, chain, owned));
      for (const t of owned) tf.keep(t);
    });
    const weights = net.weights.map((variable) => ({ variable, id: variable.read().dataId }));
    const blocks = series ? SeriesBlock.forMembers(steps) : steps.map(() => null);
    return new FoldedNetwork(tf, steps, owned, weights, blocks);
  }

  /** Two outputs: the probabilities and the first member's embedding. */
  readonly outputs = ['probabilities', 'embedding'];

  /** True once a weight of the network has been assigned since folding (the fold is out of date). */
  get stale(): boolean {
    return this.weights.some(({ variable, id }) => variable.read().dataId !== id);
  }

  /** `[probabilities, embedding]` for a `[batch, ...inputShape]` input (the caller disposes them). */
  predict(x: TF.Tensor): TF.Tensor[] {
    const { tf } = this;
    return tf.tidy(() => {
      const data = x.rank === 3 && SeriesBlock.usable(tf) && this.blocks.some((b) => b) ? x.dataSync() : null;
      let embedding: TF.Tensor | undefined;
      // Member m's probabilities (the first member's embedding kept on the way), its leading block
      // on the module when it has one that takes this input.
      const member = (steps: Step[], m: number): TF.Tensor => {
        const block = data ? this.blocks[m] : null;
        const y = block?.run(data as Float32Array, x.shape[0], x.shape[1] as number);
        if (y?.kind === 'probabilities') {
          if (m === 0) embedding = tf.tensor2d(y.embedding, [x.shape[0], y.width]);
          return tf.tensor2d(y.data, y.shape);
        }
        let h = y ? tf.tensor3d(y.data, y.shape) : x;
        const rest = y ? steps.slice((block as SeriesBlock).length) : steps;
        if (m === 0) h = embedding = run(tf, rest.slice(0, -1), h);
        return run(tf, m === 0 ? rest.slice(-1) : rest, h);
      };
      const outputs = this.members.map(member);
      const probabilities = outputs.length === 1 ? outputs[0] : tf.div(tf.addN(outputs), outputs.length);
      return [probabilities, embedding as TF.Tensor];
    });
  }

  dispose(): void {
    this.tf.dispose(this.owned);
  }
}

/**
 * True when every member reads the network's input, once, and the Average takes the members'
 * outputs in order. (A nested model's first node, with no inbound layers, is its own creation.)
 */
function sideBySide(net: TFL.LayersModel, members: TFL.LayersModel[]): boolean {
  type Linked = { inboundNodes: { inboundLayers: unknown[] }[] };
  const from = (l: unknown) =>
    (l as Linked).inboundNodes.map((n) => n.inboundLayers).filter((ls) => ls.length > 0);
  const average = from(net.layers[net.layers.length - 1]);
  return (
    average.length === 1 &&
    average[0].length === members.length &&
    members.every((m, i) => {
      const inputs = from(m);
      return average[0][i] === m && inputs.length === 1 && inputs[0][0] === net.layers[0];
    })
  );
}

/** A member's layers as steps; the folded weights it makes are pushed to `owned`. */
function compile(tf: typeof TF, chain: Layer[], owned: TF.Tensor[]): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < chain.length; i++) {
    const layer = chain[i];
    const name = layer.getClassName();
    if (name === 'Dropout') continue;
    const conv = foldable(layer) ? foldConv(tf, layer, chain[i + 1], chain[i + 2]) : null;
    if (conv) {
      owned.push(conv.step.filter, conv.step.bias);
      steps.push(conv.step);
      i += conv.used - 1;
    } else if (name === 'MaxPooling1D') {
      const c = layer.getConfig() as Config;
      steps.push({
        kind: 'pool',
        size: first(c.poolSize),
        stride: first(c.strides),
        pad: c.padding as Padding,
      });
    } else steps.push({ kind: 'layer', layer });
  }
  return steps;
}

/** A Conv1D or Conv2D that a fused convolution computes: channels last, no dilation, no causal padding. */
function foldable(layer: Layer): boolean {
  const name = layer.getClassName();
  if (name !== 'Conv1D' && name !== 'Conv2D') return false;
  const c = layer.getConfig() as Config;
  return (
    (c.dataFormat ?? 'channelsLast') === 'channelsLast' &&
    pair(c.dilationRate ?? 1).every((d) => d === 1) &&
    (c.padding === 'same' || c.padding === 'valid') &&
    (c.activation === 'linear' || c.activation === 'relu')
  );
}

/** True for a BatchNormalization over the last axis of a conv's output. */
function normalisesChannels(layer: Layer | undefined): boolean {
  if (layer?.getClassName() !== 'BatchNormalization') return false;
  const axis = (layer.getConfig() as Config).axis;
  return axis === -1 || (typeof axis === 'number' && axis === (layer.inputSpec?.[0]?.ndim ?? 0) - 1);
}

/**
 * The convolution `conv`, with the BatchNormalization after it (when its own activation is
 * linear) folded in and a ReLU Activation after those fused: the step, and how many layers it covers.
 */
function foldConv(
  tf: typeof TF,
  conv: Layer,
  next: Layer | undefined,
  after: Layer | undefined,
): { step: Step & { kind: 'conv' }; used: number } {
  const c = conv.getConfig() as Config;
  const [kernel, convBias] = conv.getWeights() as [TF.Tensor, TF.Tensor | undefined];
  const lift = conv.getClassName() === 'Conv1D';
  let filter = lift ? tf.expandDims(kernel, 0) : kernel;
  let bias = convBias ?? tf.zeros([kernel.shape[kernel.shape.length - 1]]);
  let activation = c.activation as 'linear' | 'relu';
  let used = 1;
  if (activation === 'linear' && normalisesChannels(next)) {
    const n = next as Layer;
    const bn = n.getConfig() as Config;
    const w = n.getWeights();
    const gamma = bn.scale === false ? tf.onesLike(bias) : w[0];
    const beta = bn.center === false ? tf.zerosLike(bias) : w[bn.scale === false ? 0 : 1];
    const [mean, variance] = w.slice(-2);
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, bn.epsilon as number)));
    filter = tf.mul(filter, scale);
    bias = tf.add(tf.mul(tf.sub(bias, mean), scale), beta);
    used++;
  }
  // An Activation right after (after the batch normalisation, when there is one) joins the kernel.
  const act = used === 1 ? next : after;
  const fused = act?.getClassName() === 'Activation' ? (act.getConfig() as Config).activation : null;
  if (activation === 'linear' && (fused === 'relu' || fused === 'linear')) {
    activation = fused;
    used++;
  }
  const strides: [number, number] = lift ? [1, first(c.strides)] : pair(c.strides);
  // A fold that produced new tensors owns them; an untouched kernel is the layer's: copy it.
  const step = {
    kind: 'conv' as const,
    filter: (filter === kernel ? tf.clone(kernel) : filter) as TF.Tensor4D,
    bias: (bias === convBias ? tf.clone(bias) : bias) as TF.Tensor1D,
    activation,
    strides,
    pad: c.padding as Padding,
    lift,
  };
  return { step, used };
}

/** Runs steps on `x`, lifting a series to 4-D for lifted convolutions and pooling and back for layers. */
function run(tf: typeof TF, steps: Step[], x: TF.Tensor): TF.Tensor {
  let y = x;
  let lifted = false;
  const lift = () => {
    if (!lifted) y = tf.expandDims(y, 1);
    lifted = true;
  };
  for (const s of steps) {
    if (s.kind === 'layer') {
      if (lifted) y = tf.squeeze(y, [1]);
      lifted = false;
      y = s.layer.apply(y, { training: false }) as TF.Tensor;
      continue;
    }
    if (s.kind === 'pool' || s.lift) lift();
    y =
      s.kind === 'pool'
        ? tf.maxPool(y as TF.Tensor4D, [1, s.size], [1, s.stride], s.pad)
        : tf.fused.conv2d({
            x: y as TF.Tensor4D,
            filter: s.filter,
            strides: s.strides,
            pad: s.pad,
            bias: s.bias,
            activation: s.activation,
          });
  }
  return lifted ? tf.squeeze(y, [1]) : y;
}
