// The error every tokenizer throws for bad input or a bad tokenizer file. Its own module, so the
// tokenizer modules that import one another at load time (tokenizer → hf-bpe → split-pattern)
// share it without a cycle.
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}
