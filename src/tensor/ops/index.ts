// Every differentiable op, in one import.
export { matmul, linear, type MatmulOptions } from './matmul.js';
export { add, sub, mul, scale } from './elementwise.js';
export { reshape, permute, transpose, split, concat } from './shape.js';
export { embedding } from './embedding.js';
export { layerNorm, rmsNorm } from './norm.js';
export { gelu, relu, silu, softcap, softmax } from './activation.js';
export { attentionProbs, attendValues, attention, type AttentionOptions } from './attention.js';
export { rope, type RopeOptions } from './rope.js';
export { crossEntropy, type CrossEntropyOptions } from './loss.js';
export { dropout } from './dropout.js';
export { sum, mean } from './reduce.js';
