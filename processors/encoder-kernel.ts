/**
 * The text encoder's forward pass on sparse inputs. A hashed text hits ~200 of 2,048 buckets, so the first dense
 * layer is a weighted sum of ~200 kernel rows instead of a 2,048-wide matrix product: about 8× fewer
 * multiply-adds than `predict()` and no tensor round trip (profile in bench/README.md). Same weights and the same
 * arithmetic up to float rounding (checked against `predict()` in test/unit/ai/embed.test.ts).
 */
import type * as tf from "@tensorflow/tfjs";
import type { SparseFeatures } from "./hashed-text.ts";

interface DenseLayer {
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
  relu: boolean;
}

export class SparseDenseKernel {
  private constructor(private readonly layers: readonly DenseLayer[]) {}

  /** Output width. */
  get dim(): number {
    return (this.layers.at(-1) as DenseLayer).units;
  }

  /**
   * The kernel for a LayersModel made only of Dense layers with `relu` or `linear` activations, else `undefined`
   * (the caller keeps `predict()`).
   */
  static fromModel(model: tf.LayersModel): SparseDenseKernel | undefined {
    const layers: DenseLayer[] = [];
    for (const layer of model.layers) {
      const name = layer.getClassName();
      if (name === "InputLayer") continue;
      const config = layer.getConfig() as { activation?: string; useBias?: boolean };
      if (name !== "Dense" || !["relu", "linear"].includes(String(config.activation)) || config.useBias === false)
        return undefined;
      const [kernel, bias] = layer.getWeights();
      if (!kernel || !bias || kernel.shape.length !== 2) return undefined;
      layers.push({
        kernel: kernel.dataSync() as Float32Array,
        bias: bias.dataSync() as Float32Array,
        inputs: kernel.shape[0] as number,
        units: kernel.shape[1] as number,
        relu: config.activation === "relu",
      });
    }
    return layers.length > 0 ? new SparseDenseKernel(layers) : undefined;
  }

  /** The L2-normalised output for one text's sparse features (`e / (|e| + 1e-12)`, as the TF.js path does). */
  encode(features: SparseFeatures): Float32Array {
    const [first, ...rest] = this.layers as [DenseLayer, ...DenseLayer[]];
    let x = new Float64Array(first.units);
    x.set(first.bias);
    const { indices, values } = features;
    const units = first.units;
    const k = first.kernel;
    for (let t = 0; t < indices.length; t++) {
      axpy(x, values[t] as number, k, (indices[t] as number) * units, units);
    }
    if (first.relu) for (let u = 0; u < units; u++) if ((x[u] as number) < 0) x[u] = 0;
    for (const layer of rest) {
      const y = new Float64Array(layer.units);
      y.set(layer.bias);
      for (let i = 0; i < layer.inputs; i++) {
        const xi = x[i] as number;
        if (xi === 0) continue;
        axpy(y, xi, layer.kernel, i * layer.units, layer.units);
      }
      if (layer.relu) for (let u = 0; u < layer.units; u++) if ((y[u] as number) < 0) y[u] = 0;
      x = y;
    }
    let norm = 0;
    for (let u = 0; u < x.length; u++) norm += (x[u] as number) * (x[u] as number);
    const inv = 1 / (Math.sqrt(norm) + 1e-12);
    const out = new Float32Array(x.length);
    for (let u = 0; u < x.length; u++) out[u] = (x[u] as number) * inv;
    return out;
  }
}

/** `y += a · k[row … row + n)`, four lanes per step. */
function axpy(y: Float64Array, a: number, k: Float32Array, row: number, n: number): void {
  const n4 = n - (n % 4);
  let u = 0;
  for (; u < n4; u += 4) {
    y[u] = (y[u] as number) + a * (k[row + u] as number);
    y[u + 1] = (y[u + 1] as number) + a * (k[row + u + 1] as number);
    y[u + 2] = (y[u + 2] as number) + a * (k[row + u + 2] as number);
    y[u + 3] = (y[u + 3] as number) + a * (k[row + u + 3] as number);
  }
  for (; u < n; u++) y[u] = (y[u] as number) + a * (k[row + u] as number);
}
