/** Public entry of the API contract shared by main and the renderer. */
export * from './contract';
export { ApiError, parseRequest, schemaError } from './validate';
