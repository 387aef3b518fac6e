// A mistake in how a validator sets up its rules (a pin set without a backup pin, a bad host pattern).
// Thrown while the validator file loads, so the file does not load, the editor shows the error at the
// call that caused it, and jobs that need the validator wait with INTERFACE_REQUIRED instead of running
// with a policy that is not what its author meant.
export class ValidatorConfigError extends Error {
  override name = 'ValidatorConfigError';
}
