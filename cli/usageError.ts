/** A command used wrongly (missing option, bad value): exit code 2, message without a stack. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
