// The function wrapper the worker puts around the compiled validator before running it through `vm`, on
// the same line as the code's first line. Shared so that whoever maps a position of that vm script back
// to the .ts sources (the worker for throws, the host for a time-out) subtracts the same offset.
export const VALIDATOR_WRAPPER = '(function (exports, require, module, __filename, __dirname) {';
