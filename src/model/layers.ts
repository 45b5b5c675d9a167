import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';

/** Constructor of {@link attentionPoolingLayer}'s class. @internal */
export type AttentionPoolingClass = (new (config?: {
  units?: number;
  seed?: number;
  name?: string;
}) => TFL.layers.Layer) & { className: string };

/**
 * Attentive statistics pooling (Okabe et al. 2018): a small attention network scores every frame,
 * and the layer returns the attention-weighted mean and standard deviation of the frames,
 * `[batch, frames, channels]` → `[batch, 2 · channels]`. Registered with tfjs serialization as
 * `SpeechEmotionAttentionPooling`, so saved models that use it load again.
 * @internal
 */
export function attentionPoolingLayer(tf: typeof TF, tfl: typeof TFL): AttentionPoolingClass {
  class AttentionPooling extends tfl.layers.Layer {
    static className = 'SpeechEmotionAttentionPooling';
    private readonly units: number;
    private readonly seed: number | undefined;
    private w!: TFL.LayerVariable;
    private b!: TFL.LayerVariable;
    private v!: TFL.LayerVariable;

    constructor(config: { units?: number; seed?: number; name?: string; trainable?: boolean } = {}) {
      super(config);
      this.units = config.units ?? 64;
      this.seed = config.seed;
    }

    override build(inputShape: TFL.Shape | TFL.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TFL.Shape;
      const channels = shape[shape.length - 1] as number;
      const glorot = (seed?: number) => tfl.initializers.glorotUniform({ seed });
      this.w = this.addWeight('w', [channels, this.units], 'float32', glorot(this.seed));
      this.b = this.addWeight('b', [this.units], 'float32', tfl.initializers.zeros());
      this.v = this.addWeight(
        'v',
        [this.units, 1],
        'float32',
        glorot(this.seed === undefined ? undefined : this.seed + 1),
      );
      this.built = true;
    }

    override computeOutputShape(inputShape: TFL.Shape | TFL.Shape[]): TFL.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TFL.Shape;
      return [shape[0], 2 * (shape[shape.length - 1] as number)];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor3D;
        const [, frames, channels] = x.shape;
        const h = tf.tanh(tf.add(tf.matMul(tf.reshape(x, [-1, channels]), this.w.read()), this.b.read()));
        const scores = tf.reshape(tf.matMul(h, this.v.read()), [-1, frames]);
        const a = tf.expandDims(tf.softmax(scores, -1), -1);
        const mean = tf.sum(tf.mul(x, a), 1);
        const meanSq = tf.sum(tf.mul(tf.square(x), a), 1);
        const std = tf.sqrt(tf.add(tf.relu(tf.sub(meanSq, tf.square(mean))), 1e-6));
        return tf.concat([mean, std], -1);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        units: this.units,
        ...(this.seed === undefined ? {} : { seed: this.seed }),
      };
    }
  }
  return AttentionPooling;
}

let registered: AttentionPoolingClass | undefined;

/** The AttentionPooling class, registered for serialization once. @internal */
export function customLayers(tf: typeof TF, tfl: typeof TFL): { AttentionPooling: AttentionPoolingClass } {
  if (!registered) {
    registered = attentionPoolingLayer(tf, tfl);
    tf.serialization.registerClass(
      registered as unknown as TF.serialization.SerializableConstructor<TF.serialization.Serializable>,
    );
  }
  return { AttentionPooling: registered };
}
