// Shared by the compiler and the worker (the worker must not pull in esbuild).
export const HELPER_MODULE = 'managed-downloads/validator';
